// Drives a running `r1stream serve` with the official OpenAI Node client (npm package `openai`):
// non-streamed and streamed chat (reasoning_content / content, include_usage, cached_tokens), a completion,
// the model list, and the client's error types for 400/401/404. Exits non-zero on the first mismatch.
//   node tools/serve/openai-client-check.mjs BASE_URL MODEL API_KEY
import OpenAI from 'openai';

const [baseURL, model, apiKey] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey: apiKey || 'none', maxRetries: 0 });
const fail = (m) => { console.error('FAIL: ' + m); process.exit(1); };
const check = (c, m) => { if (!c) fail(m); console.log('ok   ' + m); };

const models = await client.models.list();
check(models.data.some((m) => m.id === model), `models.list() has ${model}`);

const messages = [{ role: 'system', content: 'You are terse. Keep every answer under a line, and never repeat yourself.' },
                  { role: 'user', content: 'hello' }];
const whole = await client.chat.completions.create({ model, messages, max_tokens: 40, seed: 3, temperature: 1.0 });
const msg = whole.choices[0].message;
check(whole.object === 'chat.completion' && msg.role === 'assistant', 'chat.completions.create() answers');
check(typeof msg.content === 'string' && 'reasoning_content' in msg, 'message has content and reasoning_content');
check(whole.usage.total_tokens === whole.usage.prompt_tokens + whole.usage.completion_tokens, 'usage adds up');

const stream = await client.chat.completions.create({ model, messages, max_tokens: 40, seed: 3, temperature: 1.0,
                                                      stream: true, stream_options: { include_usage: true } });
let reasoning = '', content = '', usage = null, finish = null;
for await (const chunk of stream) {
  if (chunk.usage) usage = chunk.usage;
  const c = chunk.choices[0];
  if (!c) continue;
  reasoning += c.delta.reasoning_content ?? '';
  content += c.delta.content ?? '';
  if (c.finish_reason) finish = c.finish_reason;
}
check(reasoning === (msg.reasoning_content ?? '') && content === msg.content, 'the stream carries the same reasoning and content');
check(finish === whole.choices[0].finish_reason, `finish_reason ${finish}`);
check(usage && usage.prompt_tokens_details.cached_tokens > 0, `include_usage: cached_tokens ${usage?.prompt_tokens_details?.cached_tokens} on the repeated prompt`);

const comp = await client.completions.create({ model, prompt: 'def add(a, b):', max_tokens: 8, temperature: 0 });
check(comp.object === 'text_completion' && typeof comp.choices[0].text === 'string', 'completions.create() answers');

async function expectError(status, f, what) {
  try { await f(); fail(`${what}: no error`); } catch (e) {
    check(e instanceof OpenAI.APIError && e.status === status && e.error?.message, `${what}: ${e.constructor.name} ${e.status} "${e.error?.message}"`);
  }
}
await expectError(400, () => client.chat.completions.create({ model, messages, temperature: 9 }), 'bad temperature');
await expectError(404, () => client.chat.completions.create({ model: 'no-such-model', messages }), 'unknown model');
await expectError(401, () => new OpenAI({ baseURL, apiKey: 'wrong', maxRetries: 0 }).models.list(), 'wrong key');
console.log('all checks passed');
