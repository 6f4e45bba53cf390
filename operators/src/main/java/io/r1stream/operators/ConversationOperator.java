package io.r1stream.operators;

import io.r1stream.connectors.records.ChatResult;
import io.r1stream.connectors.records.DeadLetter;
import io.r1stream.connectors.records.PromptRequest;
import io.r1stream.connectors.records.RecordJson;
import io.r1stream.engine.Completion;
import io.r1stream.engine.GenerationRequest;
import io.r1stream.engine.GenerationResult;
import io.r1stream.engine.InferenceEngine;
import io.r1stream.engine.KvSource;
import io.r1stream.engine.RequestTiming;
import io.r1stream.engine.TokenListener;
import io.r1stream.engine.kv.KvChunk;
import io.r1stream.engine.sample.FinishReason;
import io.r1stream.engine.sample.ReasoningSplit;
import io.r1stream.engine.sample.ReasoningSplitter;
import io.r1stream.engine.sample.SamplingParams;
import io.r1stream.engine.tokenizer.ChatMessage;

import org.apache.flink.api.common.operators.MailboxExecutor;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.api.datastream.KeyedStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.InternalTimer;
import org.apache.flink.streaming.api.operators.InternalTimerService;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.operators.Triggerable;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.OutputTag;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The keyed conversation operator: per conversation (the key) it keeps the turns so far, the turn in flight
 * and the turns waiting behind it in keyed state, runs turns of one conversation strictly in order and turns
 * of different conversations concurrently on the shared engine, and emits one {@link ChatResult} per turn.
 *
 * <p>Threading follows Flink's {@code AsyncWaitOperator}: the engine completes requests on its own thread,
 * which only posts a mail to the task's mailbox (guarded against double completion); the mail runs on the
 * task thread, which alone touches keyed state and the output. When {@link ConversationOptions#maxInFlight()}
 * turns are in the engine, {@code processElement} yields to the mailbox until one finishes: backpressure.
 *
 * <p>Checkpoints: every accepted turn is in keyed state from the moment it arrives (in flight or waiting),
 * so a snapshot needs no extra work; on restore {@link #open()} re-submits every conversation's in-flight
 * turn (scanning the keys of this subtask's key groups, so it works after a rescale too). With a KV state
 * tier, chunks of the conversation's KV cache are kept in keyed state and offered to the engine before the
 * first turn a subtask runs for that conversation, so that turn reports {@code kv_source = state}.
 *
 * <p>Too-long messages (over {@link ConversationOptions#maxMessageTokens()}, or a prompt that with
 * {@code max_tokens} does not fit the model's context even after the {@link ContextPolicy}) and turns past
 * {@link ConversationOptions#maxWaitingTurns()} go to {@link #DEAD_LETTERS}; the conversation is unchanged and
 * goes on with its next turn.
 *
 * <p>Nothing waits on the engine thread: KV imports and drops are queued to the engine (in order with the
 * turn they precede), KV for the state tier comes back with the turn's result, and a turn not answered within
 * {@link ConversationOptions#turnTimeout()} ends as an error result. A duplicate {@code request_id} within a
 * conversation never becomes a second turn: an answered one gets its stored result again, one still queued is
 * ignored.
 */
public class ConversationOperator extends AbstractStreamOperator<ChatResult>
        implements OneInputStreamOperator<PromptRequest, ChatResult>, Triggerable<String, VoidNamespace> {

    private static final long serialVersionUID = 1L;

    /** Turns rejected before reaching the engine (too long). */
    public static final OutputTag<DeadLetter> DEAD_LETTERS =
            new OutputTag<>("conversation-dead-letters", TypeInformation.of(DeadLetter.class));

    static final ValueStateDescriptor<ConversationState> CONVERSATION =
            new ValueStateDescriptor<>("conversation", TypeInformation.of(ConversationState.class));
    static final ValueStateDescriptor<PendingTurn> IN_FLIGHT =
            new ValueStateDescriptor<>("turn-in-flight", TypeInformation.of(PendingTurn.class));
    static final ListStateDescriptor<PendingTurn> WAITING =
            new ListStateDescriptor<>("turns-waiting", TypeInformation.of(PendingTurn.class));
    static final ListStateDescriptor<KvChunk> KV_CHUNKS =
            new ListStateDescriptor<>("kv-chunks", TypeInformation.of(KvChunk.class));
    static final ValueStateDescriptor<Long> EXPIRES_AT = new ValueStateDescriptor<>("expires-at", Types.LONG);
    static final ValueStateDescriptor<int[]> KV_TOKENS =
            new ValueStateDescriptor<>("kv-covered-tokens", TypeInformation.of(int[].class));
    static final ListStateDescriptor<ChatResult> ANSWERED =
            new ListStateDescriptor<>("answered", TypeInformation.of(ChatResult.class));

    private final EngineFactory engineFactory;
    private final ConversationOptions options;
    private final DeltaOptions deltaOptions;

    private transient EngineFactory.Session session;
    private transient InferenceEngine engine;
    private transient PromptCodec codec;
    private transient MailboxExecutor mailbox;
    private transient ValueState<ConversationState> conversation;
    private transient ValueState<PendingTurn> inFlight;
    private transient ListState<PendingTurn> waiting;
    private transient ValueState<Long> expiresAt;
    private transient KvStateStore kvStore;
    private transient AnsweredRequests answered;
    private transient InternalTimerService<VoidNamespace> ttlTimers;
    private transient ConversationMetrics metrics;
    /** conversation -> its turn in the engine; the size is this subtask's in-flight count. */
    private transient Map<String, InEngine> running;
    /** Conversations whose KV this subtask has given to (or left in) the engine since it opened. */
    private transient Set<String> engineHasKv;

    public ConversationOperator(EngineFactory engineFactory, ConversationOptions options) {
        this(engineFactory, options, DeltaOptions.OFF);
    }

    /** @param deltas partial answers to {@link TurnDeltas#DELTAS} while turns are generated (off: none) */
    public ConversationOperator(EngineFactory engineFactory, ConversationOptions options, DeltaOptions deltas) {
        this.engineFactory = engineFactory;
        this.options = options;
        this.deltaOptions = deltas;
    }

    /** Applies the operator to prompts keyed by conversation id; dead letters via {@link #DEAD_LETTERS}. */
    public static SingleOutputStreamOperator<ChatResult> applyTo(KeyedStream<PromptRequest, String> prompts,
                                                                 EngineFactory engineFactory,
                                                                 ConversationOptions options) {
        return applyTo(prompts, engineFactory, options, DeltaOptions.OFF);
    }

    /** The same, with partial answers on {@link TurnDeltas#DELTAS} when {@code deltas} is enabled. */
    public static SingleOutputStreamOperator<ChatResult> applyTo(KeyedStream<PromptRequest, String> prompts,
                                                                 EngineFactory engineFactory, ConversationOptions options,
                                                                 DeltaOptions deltas) {
        return prompts.transform("conversations", TypeInformation.of(ChatResult.class),
                new ConversationOperator(engineFactory, options, deltas));
    }

    // ------------------------------------------------------------------ lifecycle

    @Override
    public void open() throws Exception {
        super.open();
        mailbox = getContainingTask().getMailboxExecutorFactory().createExecutor(getOperatorConfig().getChainIndex());
        conversation = getPartitionedState(CONVERSATION);
        inFlight = getPartitionedState(IN_FLIGHT);
        waiting = getPartitionedState(WAITING);
        expiresAt = getPartitionedState(EXPIRES_AT);
        ttlTimers = getInternalTimerService("conversation-ttl", VoidNamespaceSerializer.INSTANCE, this);
        running = new HashMap<>();
        engineHasKv = new HashSet<>();
        session = engineFactory.open();
        engine = session.engine();
        codec = session.codec();
        metrics = new ConversationMetrics(getMetricGroup(), engine.metrics(), () -> running.size());
        kvStore = new KvStateStore(options.kvTier(), getPartitionedState(KV_CHUNKS), getPartitionedState(KV_TOKENS),
                metrics.kvStateBytes);
        answered = new AnsweredRequests(getPartitionedState(ANSWERED), options.dedupWindow());
        resubmitRestoredTurns();
    }

    /** After a restore: every conversation with a turn in flight submits it again (its waiting turns follow). */
    private void resubmitRestoredTurns() throws Exception {
        List<String> keys = new ArrayList<>();
        getKeyedStateBackend().applyToAllKeys(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE, IN_FLIGHT,
                (key, state) -> { if (state.value() != null) keys.add((String) key); });
        keys.sort(null); // a stable order: the engine sees restored turns the same way on every run
        for (String key : keys) {
            setCurrentKey(key);
            PendingTurn turn = inFlight.value();
            int[] prompt = renderOrReject(turn);
            if (prompt != null) {
                submit(key, turn, prompt);
            } else {
                startNextTurn(key, null);
            }
        }
        if (!keys.isEmpty()) LOG.info("re-submitted the in-flight turns of {} conversations after restore", keys.size());
    }

    @Override
    public void finish() throws Exception {
        // bounded input: answer everything accepted before the end (finished turns start their successors)
        while (!running.isEmpty()) mailbox.yield();
        super.finish();
    }

    @Override
    public void close() throws Exception {
        try {
            if (running != null) {
                for (InEngine e : running.values()) {
                    e.done.set(true);
                    if (e.completion != null) e.completion.cancel();
                }
                running.clear();
            }
            if (session != null) session.close();
        } finally {
            super.close();
        }
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        // in-flight and waiting turns are already in keyed state; ON_EVICT writes the KV chunks that finished
        // turns brought back since the last checkpoint (before the keyed state backend is snapshotted; no
        // engine call here, so a checkpoint never waits on a forward step)
        if (kvStore.hasPending()) {
            Object key = getCurrentKey();
            kvStore.flush(this::setCurrentKey);
            if (key != null) setCurrentKey(key);
        }
    }

    // ------------------------------------------------------------------ input

    @Override
    public void processElement(StreamRecord<PromptRequest> element) throws Exception {
        PromptRequest request = element.getValue();
        String key = request.conversationId();
        // backpressure: yielding runs completion mails (and, with unaligned checkpoints, barriers), which
        // change the current key
        while (running.size() >= options.maxInFlight()) mailbox.yield();
        setCurrentKey(key);
        if (isDuplicate(request)) return;
        PendingTurn turn = new PendingTurn(request, System.currentTimeMillis(), element.hasTimestamp() ? element.getTimestamp() : -1);
        PendingTurn current = inFlight.value();
        if (current == null) {
            startNextTurn(key, turn);
        } else if (waitingCount() >= options.maxWaitingTurns()) {
            metrics.queueFull.inc();
            deadLetter(DeadLetter.ErrorType.CONVERSATION_QUEUE_FULL, request, "conversation " + key + " already has "
                    + options.maxWaitingTurns() + " turns waiting behind the one in flight; send the next message after "
                    + "an answer arrives, or raise the job's max waiting turns");
            return;
        } else {
            waiting.add(turn);
        }
        touch();
    }

    /**
     * An upstream duplicate (same request id in this conversation): answered ones get their stored result again,
     * queued ones are ignored (their answer comes once). Counted either way.
     */
    private boolean isDuplicate(PromptRequest request) throws Exception {
        String id = request.requestId();
        ChatResult done = answered.find(id);
        boolean queued = false;
        PendingTurn current = inFlight.value();
        if (done == null && current != null) {
            queued = current.request().requestId().equals(id);
            Iterable<PendingTurn> all = waiting.get();
            if (!queued && all != null) for (PendingTurn t : all) if (t.request().requestId().equals(id)) queued = true;
        }
        if (done == null && !queued) return false;
        metrics.deduplicated.inc();
        if (done != null) output.collect(new StreamRecord<>(done));
        return true;
    }

    private int waitingCount() throws Exception {
        Iterable<PendingTurn> all = waiting.get();
        int n = 0;
        if (all != null) for (PendingTurn ignored : all) n++;
        return n;
    }

    /**
     * Starts {@code candidate}, or else the first waiting turn, skipping (dead-lettering) those that are too
     * long; clears the in-flight slot when nothing is left. The current key must be {@code key}.
     */
    private void startNextTurn(String key, PendingTurn candidate) throws Exception {
        PendingTurn turn = candidate;
        while (true) {
            if (turn == null) turn = pollWaiting();
            if (turn == null) {
                inFlight.clear();
                return;
            }
            int[] prompt = renderOrReject(turn);
            if (prompt != null) {
                inFlight.update(turn);
                submit(key, turn, prompt);
                return;
            }
            turn = null;
        }
    }

    private PendingTurn pollWaiting() throws Exception {
        Iterable<PendingTurn> all = waiting.get();
        if (all == null) return null;
        List<PendingTurn> list = new ArrayList<>();
        all.forEach(list::add);
        if (list.isEmpty()) return null;
        waiting.update(list.subList(1, list.size()));
        return list.get(0);
    }

    /**
     * The prompt tokens of the conversation with this turn appended, or null after a dead letter. With
     * {@link ContextPolicy#DROP_OLDEST} the oldest turns are dropped (from state too) until it fits.
     */
    private int[] renderOrReject(PendingTurn turn) throws Exception {
        PromptRequest req = turn.request();
        if (req.isCompletion()) return completionPromptOrReject(req);
        int messageTokens = codec.tokenize(req.message()).length;
        if (messageTokens > options.maxMessageTokens()) {
            reject(req, "message is " + messageTokens + " tokens, over the limit of " + options.maxMessageTokens()
                    + " tokens per message; shorten it or raise the job's max message tokens");
            return null;
        }
        ConversationState conv = conversationOrStart(req);
        int[] prompt = codec.render(conv.system(), conv.withUserMessage(req.message()));
        int dropped = 0;
        while (prompt.length + req.maxTokens() > codec.contextLength()
                && options.contextPolicy() == ContextPolicy.DROP_OLDEST && !conv.turns().isEmpty()) {
            conv = conv.withoutOldestPair();
            dropped += 2;
            prompt = codec.render(conv.system(), conv.withUserMessage(req.message()));
        }
        if (prompt.length + req.maxTokens() > codec.contextLength()) {
            reject(req, "conversation " + req.conversationId() + " with this message is " + prompt.length
                    + " prompt tokens, which with max_tokens " + req.maxTokens() + " exceeds the model's context of "
                    + codec.contextLength() + " tokens" + (options.contextPolicy() == ContextPolicy.ERROR
                    ? " (context policy: error)" : " even without earlier turns")
                    + "; lower max_tokens, shorten the message or start a new conversation");
            return null;
        }
        if (dropped > 0) {
            conversation.update(conv);
            metrics.contextDrops.inc(dropped);
            LOG.info("conversation {} outgrew the context: dropped its {} oldest turns", req.conversationId(), dropped);
        }
        return prompt;
    }

    /** A completion's prompt: its text as it is (no template, no history), or null after a dead letter. */
    private int[] completionPromptOrReject(PromptRequest req) {
        int[] prompt = codec.tokenizeRaw(req.prompt());
        if (prompt.length > options.maxMessageTokens()) {
            reject(req, "prompt is " + prompt.length + " tokens, over the limit of " + options.maxMessageTokens()
                    + " tokens per message; shorten it or raise the job's max message tokens");
            return null;
        }
        if (prompt.length + req.maxTokens() > codec.contextLength()) {
            reject(req, "prompt is " + prompt.length + " tokens, which with max_tokens " + req.maxTokens()
                    + " exceeds the model's context of " + codec.contextLength() + " tokens; lower max_tokens or shorten the prompt");
            return null;
        }
        return prompt;
    }

    private void reject(PromptRequest req, String reason) {
        metrics.tooLong.inc();
        deadLetter(DeadLetter.ErrorType.INVALID_FIELDS, req, reason);
    }

    private void deadLetter(DeadLetter.ErrorType type, PromptRequest req, String reason) {
        output.collect(DEAD_LETTERS, new StreamRecord<>(new DeadLetter(type,
                "request " + req.requestId() + ": " + reason, RecordJson.toJson(req), false, false,
                options.promptsTopic(), -1, -1, -1)));
    }

    private ConversationState conversationOrStart(PromptRequest req) {
        try {
            ConversationState c = conversation.value();
            return c != null ? c : ConversationState.start(req.system());
        } catch (Exception e) {
            throw new IllegalStateException("cannot read conversation " + req.conversationId() + " from keyed state", e);
        }
    }

    // ------------------------------------------------------------------ engine

    private void submit(String key, PendingTurn turn, int[] prompt) throws Exception {
        PromptRequest req = turn.request();
        if (session.chat() != null) {
            submitToChatBackend(key, turn);
            return;
        }
        if (req.isCompletion()) {
            submitCompletion(key, req, prompt);
            return;
        }
        KvStateStore.Plan kv = kvStore.plan(key, prompt, engineHasKv.contains(key));
        // queued to the engine ahead of the turn (same FIFO): no wait here
        if (!kv.stored().isEmpty()) engine.importKv(key, kv.stored());
        engineHasKv.add(key);
        SamplingParams sampling = sampling(req);
        ConversationState conv = conversationOrStart(req);
        int retain = codec.reusablePrefix(conv.system(), conv.withUserMessage(req.message()), prompt);
        InEngine handle = track(key, req, kv.exportFrom(), conv.userTurns() + 1);
        await(key, req, handle, engine.submit(new GenerationRequest(req.requestId(), key, prompt, sampling, retain,
                kv.exportFrom()), handle.listener()));
    }

    /**
     * A completion on the local engine: the prompt as it is, outside the conversation (nothing retained for a next
     * turn, no KV state tier; the engine's prefix cache still serves a repeated prompt prefix).
     */
    private void submitCompletion(String key, PromptRequest req, int[] prompt) {
        InEngine handle = track(key, req, GenerationRequest.NO_EXPORT, 0);
        await(key, req, handle, engine.submit(new GenerationRequest(req.requestId(), key, prompt, sampling(req), 0,
                GenerationRequest.NO_EXPORT), handle.listener()));
    }

    /** A backend that takes messages (a remote server): it renders the history and owns the cache; no KV tier. */
    private void submitToChatBackend(String key, PendingTurn turn) throws Exception {
        PromptRequest req = turn.request();
        InEngine handle = track(key, req, GenerationRequest.NO_EXPORT,
                req.isCompletion() ? 0 : conversationOrStart(req).userTurns() + 1);
        TokenListener listener = handle.listener();
        if (req.isCompletion()) {
            await(key, req, handle, session.chat().complete(key, req.requestId(), req.prompt(), sampling(req), listener));
        } else {
            ConversationState conv = conversationOrStart(req);
            await(key, req, handle, session.chat().submit(key, req.requestId(), conv.system(),
                    conv.withUserMessage(req.message()), sampling(req), listener));
        }
    }

    /** The turn, now in the engine: counted as running, with its deltas when they are on. */
    private InEngine track(String key, PromptRequest req, int exportFrom, int turnNumber) {
        InEngine handle = new InEngine(key, req.requestId(), System.currentTimeMillis(), exportFrom);
        running.put(key, handle);
        if (deltaOptions.enabled()) handle.deltas = newTurnDeltas(req, turnNumber, handle.submitMillis);
        return handle;
    }

    private static SamplingParams sampling(PromptRequest req) {
        return new SamplingParams(req.temperature(), req.topK(), req.topP(), req.seed(), req.maxTokens(), req.stop());
    }

    /** Arms the turn timeout and routes the completion back through the mailbox (once). */
    private void await(String key, PromptRequest req, InEngine handle, Completion completion) {
        handle.completion = completion;
        if (options.turnTimeout().toMillis() > 0) {
            long at = getProcessingTimeService().getCurrentProcessingTime() + options.turnTimeout().toMillis();
            getProcessingTimeService().registerTimer(at, t -> onTurnTimeout(handle));
        }
        completion.result().whenComplete((result, error) -> {
            if (!handle.done.compareAndSet(false, true)) return;
            try {
                mailbox.execute(() -> onFinished(handle, result, error), "conversation %s: turn %s finished",
                        key, req.requestId());
            } catch (RejectedExecutionException closing) {
                // the task is shutting down; the turn is still in keyed state and re-runs after restore
            }
        });
    }

    private TurnDeltas newTurnDeltas(PromptRequest req, int turnNumber, long attempt) {
        return new TurnDeltas(req.requestId(), req.conversationId(), turnNumber, attempt, deltaOptions,
                r -> mailbox.execute(r::run, "deltas of %s", req.requestId()),
                d -> output.collect(TurnDeltas.DELTAS, new StreamRecord<>(d)), !req.isCompletion());
    }

    /** On the task thread: record the turn, emit its result, start the conversation's next turn. */
    private void onFinished(InEngine handle, GenerationResult result, Throwable error) throws Exception {
        if (running.get(handle.conversationId) != handle) return; // cancelled by close()
        running.remove(handle.conversationId);
        setCurrentKey(handle.conversationId);
        PendingTurn turn = inFlight.value();
        if (turn == null || !turn.request().requestId().equals(handle.requestId)) return;
        PromptRequest req = turn.request();
        if (error != null) result = GenerationResult.error(req.requestId(), 0, "engine call failed: " + error);
        ConversationState conv = conversationOrStart(req);
        int turnNumber = req.isCompletion() ? 0 : conv.userTurns() + 1;
        if (result.finishReason() == FinishReason.ERROR) {
            LOG.warn("conversation {} request {} failed in the engine: {}", req.conversationId(), req.requestId(), result.error());
        } else if (!req.isCompletion()) { // a completion leaves the conversation as it was
            conversation.update(conv.append(
                    new Turn(ChatMessage.Role.USER, req.message(), codec.tokenize(req.message())),
                    new Turn(ChatMessage.Role.ASSISTANT, result.text(), result.outputTokens())));
        }
        double waitMs = Math.max(0, handle.submitMillis - turn.arrivalMillis());
        ChatResult chat = toChatResult(req, turnNumber, result, waitMs, turn.lagMillis());
        if (handle.deltas != null) handle.deltas.finish(chat.finishReason().wireName());
        output.collect(new StreamRecord<>(chat));
        answered.remember(chat);
        metrics.record(result, waitMs, turn.lagMillis());
        if (result.finishReason() != FinishReason.ERROR && !req.isCompletion()) kvStore.append(handle.conversationId, handle.exportFrom, result.kvChunks());
        startNextTurn(handle.conversationId, null);
        touch();
    }

    /** On the task thread, when a turn's deadline passes: it ends as an error result and the conversation goes on. */
    private void onTurnTimeout(InEngine handle) throws Exception {
        if (running.get(handle.conversationId) != handle || !handle.done.compareAndSet(false, true)) return;
        if (handle.completion != null) handle.completion.cancel(); // frees its slot in the engine
        metrics.turnTimeouts.inc();
        onFinished(handle, GenerationResult.error(handle.requestId, 0, "turn timed out: no answer within "
                + options.turnTimeout().toSeconds() + " s (turn timeout); the conversation goes on with its next turn"), null);
    }

    /**
     * The result record of a turn; a completion's ({@code turn} 0) content is the generated text as it is (the
     * prompt first with {@code echo}), with no reasoning split, as {@code /v1/completions} returns it.
     */
    static ChatResult toChatResult(PromptRequest req, int turn, GenerationResult r, double waitMs, double lagMs) {
        String content;
        String reasoning;
        if (req.isCompletion()) {
            boolean failed = r.finishReason() == FinishReason.ERROR;
            content = req.echo() && !failed ? req.prompt() + r.text() : r.text();
            reasoning = null;
        } else {
            ReasoningSplit split = ReasoningSplitter.split(r.text());
            content = split.content();
            reasoning = split.reasoning().isEmpty() ? null : split.reasoning();
        }
        RequestTiming t = r.timing();
        return new ChatResult(req.requestId(), req.conversationId(), turn, content, reasoning,
                ChatResult.FinishReason.valueOf(r.finishReason().name()),
                new ChatResult.Usage(r.promptTokens(), r.completionTokens(), r.cachedTokens()),
                new ChatResult.Latency(waitMs + t.queueMs(), waitMs + t.ttftMs(), waitMs + t.e2eMs(), lagMs),
                ChatResult.KvSource.valueOf((r.kvSource() == null ? KvSource.NONE : r.kvSource()).name()),
                r.finishReason() == FinishReason.ERROR ? (r.error() == null ? "failed" : r.error()) : null);
    }

    // ------------------------------------------------------------------ idle expiry

    /** (Re)arms the current conversation's idle timer. */
    private void touch() throws Exception {
        if (options.idleTtl().isZero() || options.idleTtl().isNegative()) return;
        Long previous = expiresAt.value();
        if (previous != null) ttlTimers.deleteProcessingTimeTimer(VoidNamespace.INSTANCE, previous);
        long at = getProcessingTimeService().getCurrentProcessingTime() + options.idleTtl().toMillis();
        ttlTimers.registerProcessingTimeTimer(VoidNamespace.INSTANCE, at);
        expiresAt.update(at);
    }

    @Override
    public void onProcessingTime(InternalTimer<String, VoidNamespace> timer) throws Exception {
        Long due = expiresAt.value();
        if (due == null || due != timer.getTimestamp()) return;
        String key = timer.getKey();
        PendingTurn turn = inFlight.value();
        if (turn != null) {
            expiresAt.clear();
            touch(); // still working, and bounded by the turn timeout: not idle
            if (!running.containsKey(key)) { // in state but in no engine (cannot happen by design): run it again
                LOG.warn("conversation {}: turn {} was in flight in state only; submitting it again", key,
                        turn.request().requestId());
                int[] prompt = renderOrReject(turn);
                if (prompt != null) submit(key, turn, prompt);
                else startNextTurn(key, null);
            }
            return;
        }
        conversation.clear();
        waiting.clear();
        kvStore.clear(key);
        expiresAt.clear();
        engineHasKv.remove(key);
        engine.dropConversation(key);
        metrics.expired.inc();
    }

    @Override
    public void onEventTime(InternalTimer<String, VoidNamespace> timer) {}

    /** A turn in the engine; {@code done} makes sure its completion is handled once. */
    private static final class InEngine {
        final String conversationId;
        final String requestId;
        final long submitMillis;
        final int exportFrom; // where the KV chunks of its result start (what state held at submit)
        final AtomicBoolean done = new AtomicBoolean();
        volatile Completion completion;
        TurnDeltas deltas; // null when deltas are off

        TokenListener listener() { return deltas != null ? deltas : TokenListener.NONE; }

        InEngine(String conversationId, String requestId, long submitMillis, int exportFrom) {
            this.conversationId = conversationId;
            this.requestId = requestId;
            this.submitMillis = submitMillis;
            this.exportFrom = exportFrom;
        }
    }
}
