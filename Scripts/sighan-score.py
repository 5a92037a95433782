#!/usr/bin/env python3
"""Scores a segmentation like the SIGHAN 2005 bakeoff's `scripts/score` (Sproat & Emerson).

Usage: sighan-score.py TRAINING_WORDS GOLD TEST

Files are read line by line in parallel; each line is split on whitespace (U+3000 included).
The two word sequences are aligned by a longest common subsequence of words, as `diff -y` does
in the perl script; a word counts as matched when the alignment pairs it unchanged. This copes
with the 16 MSR gold lines whose opening quotation mark sits on the previous line.
Prints P, R, F (micro, whole file), OOV rate, OOV recall and IV recall.
"""
import sys


def words(line):
    return line.replace('\u3000', ' ').split()


def lcs_matches(gold, test):
    """Indices of gold words matched in an LCS alignment of word sequences."""
    n, m = len(gold), len(test)
    if n == 0 or m == 0:
        return []
    # Strip the common prefix and suffix first: lines are mostly identical, and the DP is O(n*m).
    start = 0
    while start < n and start < m and gold[start] == test[start]:
        start += 1
    end_g, end_t = n, m
    while end_g > start and end_t > start and gold[end_g - 1] == test[end_t - 1]:
        end_g -= 1
        end_t -= 1
    matched = list(range(start)) + list(range(end_g, n))
    g, t = gold[start:end_g], test[start:end_t]
    if g and t:
        rows, cols = len(g), len(t)
        table = [[0] * (cols + 1) for _ in range(rows + 1)]
        for i in range(rows - 1, -1, -1):
            row, below = table[i], table[i + 1]
            gi = g[i]
            for j in range(cols - 1, -1, -1):
                row[j] = below[j + 1] + 1 if gi == t[j] else max(below[j], row[j + 1])
        i = j = 0
        while i < rows and j < cols:
            if g[i] == t[j]:
                matched.append(start + i)
                i += 1
                j += 1
            elif table[i + 1][j] >= table[i][j + 1]:
                i += 1
            else:
                j += 1
    return matched


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    with open(sys.argv[1], encoding='utf-8') as f:
        known = set(w.strip() for w in f if w.strip())
    with open(sys.argv[2], encoding='utf-8') as f:
        gold_lines = f.read().splitlines()
    with open(sys.argv[3], encoding='utf-8') as f:
        test_lines = f.read().splitlines()
    if len(gold_lines) != len(test_lines):
        sys.exit(f'line count differs: gold {len(gold_lines)}, test {len(test_lines)}')
    gold_total = test_total = matched_total = 0
    oov_total = oov_matched = iv_total = iv_matched = 0
    for gold_line, test_line in zip(gold_lines, test_lines):
        gold, test = words(gold_line), words(test_line)
        matched = set(lcs_matches(gold, test))
        gold_total += len(gold)
        test_total += len(test)
        matched_total += len(matched)
        for i, w in enumerate(gold):
            if w in known:
                iv_total += 1
                iv_matched += i in matched
            else:
                oov_total += 1
                oov_matched += i in matched
    p = matched_total / test_total if test_total else 0
    r = matched_total / gold_total if gold_total else 0
    f = 2 * p * r / (p + r) if p + r else 0
    print(f'P {p:.3f}  R {r:.3f}  F {f:.3f}  OOV-rate {oov_total / gold_total:.3f}  '
          f'OOV-recall {oov_matched / max(oov_total, 1):.3f}  IV-recall {iv_matched / max(iv_total, 1):.3f}')


if __name__ == '__main__':
    main()
