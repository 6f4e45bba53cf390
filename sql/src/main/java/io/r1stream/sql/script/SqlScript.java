package io.r1stream.sql.script;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A statement file: {@code ${name}} / {@code ${name:-default}} placeholders filled from the caller's variables,
 * then cut into statements at every {@code ;} that is outside quotes ({@code '...'}, {@code "..."},
 * {@code `...`}) and comments ({@code -- ...}, {@code /* ... *}{@code /}). Each statement knows its 1-based line,
 * for error messages.
 */
public final class SqlScript {
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_.-]*)(?::-([^}]*))?}");

    /** @param line where the statement starts in the file (1-based) */
    public record Statement(String sql, int line) {}

    private SqlScript() {}

    /** Fills placeholders; an unset one without a default is an error naming it and how to set it. */
    public static String substitute(String text, Map<String, String> variables) {
        Matcher m = PLACEHOLDER.matcher(text);
        StringBuilder out = new StringBuilder();
        List<String> missing = new ArrayList<>();
        while (m.find()) {
            String value = variables.get(m.group(1));
            if (value == null) value = m.group(2);
            if (value == null) {
                missing.add(m.group(1));
                value = m.group();
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("the statement file uses " + missing.stream().distinct().map(n -> "${" + n + "}").toList()
                    + " without a value: pass " + String.join(" ", missing.stream().distinct().map(n -> "-D " + n + "=VALUE").toList()));
        }
        return out.toString();
    }

    /** The statements of {@code text} (placeholders already filled), empty ones and comment-only ones dropped. */
    public static List<Statement> split(String text) {
        List<Statement> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        int line = 1;
        int startLine = -1; // line of the first non-blank, non-comment character of the current statement
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '-' && i + 1 < text.length() && text.charAt(i + 1) == '-') { // line comment: dropped
                while (i < text.length() && text.charAt(i) != '\n') i++;
                continue;
            }
            if (c == '/' && i + 1 < text.length() && text.charAt(i + 1) == '*') { // block comment: dropped
                int end = text.indexOf("*/", i + 2);
                if (end < 0) throw new IllegalArgumentException("line " + line + ": a /* comment is never closed with */");
                for (int k = i; k < end + 2; k++) if (text.charAt(k) == '\n') line++;
                cur.append(' ');
                i = end + 2;
                continue;
            }
            if (c == '\'' || c == '"' || c == '`') { // quoted: copied as is ('' inside '...' is an escaped quote)
                int from = i;
                if (startLine < 0) startLine = line;
                i++;
                while (true) {
                    if (i >= text.length()) {
                        throw new IllegalArgumentException("line " + lineOf(text, from) + ": a " + c + " quote is never closed");
                    }
                    char q = text.charAt(i);
                    if (q == '\n') line++;
                    i++;
                    if (q == c) {
                        if (i < text.length() && text.charAt(i) == c) { i++; continue; }
                        break;
                    }
                }
                cur.append(text, from, i);
                continue;
            }
            if (c == ';') {
                add(out, cur, startLine);
                cur.setLength(0);
                startLine = -1;
                i++;
                continue;
            }
            if (c == '\n') line++;
            else if (!Character.isWhitespace(c) && startLine < 0) startLine = line;
            cur.append(c);
            i++;
        }
        add(out, cur, startLine);
        return out;
    }

    private static void add(List<Statement> out, StringBuilder cur, int line) {
        String s = cur.toString().strip();
        if (!s.isEmpty()) out.add(new Statement(s, line));
    }

    private static int lineOf(String text, int pos) {
        int line = 1;
        for (int k = 0; k < pos; k++) if (text.charAt(k) == '\n') line++;
        return line;
    }

    /** {@code 'k' = 'v', ...} (the inside of a WITH clause) as an ordered map; {@code ''} is a quote in a value. */
    public static Map<String, String> options(String withBody) {
        Map<String, String> out = new LinkedHashMap<>();
        Matcher m = Pattern.compile("\\s*'((?:[^']|'')*)'\\s*=\\s*'((?:[^']|'')*)'\\s*(,|$)").matcher(withBody);
        int at = 0;
        while (at < withBody.length() && m.find(at) && m.start() == at) {
            out.put(m.group(1).replace("''", "'"), m.group(2).replace("''", "'"));
            at = m.end();
        }
        if (at < withBody.strip().length() && !withBody.substring(at).isBlank()) {
            throw new IllegalArgumentException("cannot read the options near '" + withBody.substring(at).strip()
                    + "': write them as 'key' = 'value', separated by commas");
        }
        return out;
    }
}
