package io.r1stream.engine.model.attention;

import io.r1stream.engine.kv.KvSequence;
import io.r1stream.engine.model.SequenceStep;

import java.util.List;

/**
 * The rows of one forward step: every new token of every sequence, in step order (T rows in all). Row r is
 * step {@code step(r)}'s token at position {@code position(r)} of its own sequence's KV cache.
 */
public final class TokenBatch {
    private final List<SequenceStep> steps;
    private final int[] rowStep;  // (T) step index of each row
    private final int[] rowPos;   // (T) position of each row in its sequence
    private final int[] firstRow; // (steps + 1) first row of each step; firstRow[steps] = T

    public TokenBatch(List<SequenceStep> steps) {
        this.steps = steps;
        int total = 0;
        for (SequenceStep s : steps) total += s.tokens().length;
        rowStep = new int[total];
        rowPos = new int[total];
        firstRow = new int[steps.size() + 1];
        int r = 0;
        for (int si = 0; si < steps.size(); si++) {
            firstRow[si] = r;
            SequenceStep s = steps.get(si);
            int start = s.kv().length();
            for (int j = 0; j < s.tokens().length; j++, r++) {
                rowStep[r] = si;
                rowPos[r] = start + j;
            }
        }
        firstRow[steps.size()] = total;
    }

    public int rows() { return rowStep.length; }
    public List<SequenceStep> steps() { return steps; }
    public int step(int row) { return rowStep[row]; }
    public int position(int row) { return rowPos[row]; }
    public KvSequence kv(int row) { return steps.get(rowStep[row]).kv(); }
    public int firstRow(int step) { return firstRow[step]; }
    /** New tokens of step s. */
    public int rowsOf(int step) { return firstRow[step + 1] - firstRow[step]; }
    public int token(int row) { return steps.get(rowStep[row]).tokens()[row - firstRow[rowStep[row]]]; }
}
