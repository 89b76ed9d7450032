//! Unified diffs of manifest edits, for `palisade fix --dry-run`.

/// Lines of context around each change.
const CONTEXT: usize = 3;

/// A unified diff of `before` and `after` (edits that keep the line count, as
/// requirement rewrites do; otherwise the whole file is one hunk).
pub fn unified(path: &str, before: &str, after: &str) -> String {
    let old: Vec<&str> = before.split_inclusive('\n').collect();
    let new: Vec<&str> = after.split_inclusive('\n').collect();
    let mut out = format!("--- a/{path}\n+++ b/{path}\n");
    if old.len() != new.len() {
        out.push_str(&format!("@@ -1,{} +1,{} @@\n", old.len(), new.len()));
        for l in &old {
            push_line(&mut out, '-', l);
        }
        for l in &new {
            push_line(&mut out, '+', l);
        }
        return out;
    }
    let changed: Vec<usize> = (0..old.len()).filter(|&i| old[i] != new[i]).collect();
    let mut i = 0;
    while i < changed.len() {
        // Extend the hunk while the next change is within twice the context.
        let first = changed[i];
        let mut last = first;
        while i + 1 < changed.len() && changed[i + 1] <= last + 2 * CONTEXT + 1 {
            i += 1;
            last = changed[i];
        }
        i += 1;
        let start = first.saturating_sub(CONTEXT);
        let end = (last + CONTEXT + 1).min(old.len());
        out.push_str(&format!(
            "@@ -{},{} +{},{} @@\n",
            start + 1,
            end - start,
            start + 1,
            end - start
        ));
        for k in start..end {
            if old[k] == new[k] {
                push_line(&mut out, ' ', old[k]);
            } else {
                push_line(&mut out, '-', old[k]);
                push_line(&mut out, '+', new[k]);
            }
        }
    }
    out
}

fn push_line(out: &mut String, mark: char, line: &str) {
    out.push(mark);
    out.push_str(line);
    if !line.ends_with('\n') {
        out.push_str("\n\\ No newline at end of file\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hunks_have_context_and_line_numbers() {
        let before = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\nm\n";
        let after = before.replace("b\n", "B\n").replace("l\n", "L\n");
        let diff = unified("x.txt", before, &after);
        assert_eq!(
            diff,
            "--- a/x.txt\n+++ b/x.txt\n@@ -1,5 +1,5 @@\n a\n-b\n+B\n c\n d\n e\n@@ -9,5 +9,5 @@\n i\n j\n k\n-l\n+L\n m\n"
        );
    }
}
