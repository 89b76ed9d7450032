//! The latest bytes a client sent, kept for the two framing facts hyper
//! does not tell the gateway: a `Content-Length` too large for it to
//! represent (which it answers 431, as if the headers were too large), and
//! the size a chunked body's chunk announces (which it never shows: a chunk
//! announced larger than the body limit would otherwise be waited for until
//! the body time limit).

use std::sync::Mutex;

/// How many of the latest bytes read are kept.
const KEPT: usize = 4096;

#[derive(Debug, Default)]
pub(crate) struct Tail {
    reads: Mutex<Reads>,
}

/// The last two reads (at most [`KEPT`] bytes of each): a head and what
/// follows it come in one read or two, and keeping the latest whole costs a
/// copy of what was read, where one window over the stream would move the
/// window with every read.
#[derive(Debug, Default)]
struct Reads {
    previous: Vec<u8>,
    latest: Vec<u8>,
}

impl Tail {
    /// Keeps what was just read (its last [`KEPT`] bytes).
    pub(crate) fn record(&self, read: &[u8]) {
        if read.is_empty() {
            return;
        }
        let mut reads = self.reads.lock().unwrap_or_else(|e| e.into_inner());
        let reads = &mut *reads;
        std::mem::swap(&mut reads.previous, &mut reads.latest);
        reads.latest.clear();
        reads
            .latest
            .extend_from_slice(&read[read.len().saturating_sub(KEPT)..]);
    }

    /// The kept bytes in order.
    fn bytes(&self) -> Vec<u8> {
        let reads = self.reads.lock().unwrap_or_else(|e| e.into_inner());
        let mut all = Vec::with_capacity(reads.previous.len() + reads.latest.len());
        all.extend_from_slice(&reads.previous);
        all.extend_from_slice(&reads.latest);
        all
    }

    /// Whether the latest request head announces a `Content-Length` of
    /// digits only whose value is past what an HTTP library can hold
    /// (within 2 of `u64::MAX`, or beyond it).
    pub(crate) fn content_length_overflows(&self) -> bool {
        let bytes = self.bytes();
        header_values(latest_head(&bytes), b"content-length").any(|value| {
            !value.is_empty()
                && value.iter().all(u8::is_ascii_digit)
                && std::str::from_utf8(value)
                    .ok()
                    .and_then(|v| v.parse::<u64>().ok())
                    .is_none_or(|n| n >= u64::MAX - 2)
        })
    }

    /// Whether a chunk of the chunked body that follows the latest request
    /// head announces more than `limit` bytes, alone or with the chunks
    /// before it. No verdict (false) when the head is not among the bytes
    /// kept.
    pub(crate) fn chunk_exceeds(&self, limit: u64) -> bool {
        let bytes = self.bytes();
        let head = latest_head(&bytes);
        let Some(end) = memchr::memmem::find(head, b"\r\n\r\n") else {
            return false;
        };
        let bytes = head;
        // The body starts after the head's blank line. (Should body data
        // look like a request line, the walk below stops at data that is
        // not a chunk line, and says nothing.)
        let mut at = end + 4;
        let mut total: u64 = 0;
        loop {
            let Some(rest) = bytes.get(at..) else {
                return false;
            };
            let digits = rest.iter().take_while(|b| b.is_ascii_hexdigit()).count();
            if digits == 0 {
                return false;
            }
            let size = if digits > 15 {
                u64::MAX
            } else {
                std::str::from_utf8(&rest[..digits])
                    .ok()
                    .and_then(|h| u64::from_str_radix(h, 16).ok())
                    .unwrap_or(u64::MAX)
            };
            total = total.saturating_add(size);
            if total > limit {
                return true;
            }
            if size == 0 {
                return false;
            }
            // The chunk line ends at its CRLF (extensions before it).
            let Some(line_end) = memchr::memmem::find(rest, b"\r\n") else {
                return false;
            };
            at += line_end + 2 + usize::try_from(size).unwrap_or(usize::MAX / 2) + 2;
        }
    }
}

/// The kept bytes from the latest request line on (all of them when
/// none is kept).
fn latest_head(bytes: &[u8]) -> &[u8] {
    let Some(version) = memchr::memmem::rfind(bytes, b" HTTP/1.") else {
        return bytes;
    };
    let start = bytes[..version]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    &bytes[start..]
}

/// The values of header `name` (lowercase) in `head`.
fn header_values<'b>(bytes: &'b [u8], name: &'b [u8]) -> impl Iterator<Item = &'b [u8]> {
    bytes.split(|&b| b == b'\n').filter_map(move |line| {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let colon = line.iter().position(|&b| b == b':')?;
        let (key, value) = line.split_at(colon);
        key.eq_ignore_ascii_case(name)
            .then(|| value[1..].trim_ascii())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tail(text: &[u8]) -> Tail {
        let t = Tail::default();
        t.record(text);
        t
    }

    #[test]
    fn content_lengths_past_u64_are_known() {
        let head = |cl: &str| {
            tail(format!("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: {cl}\r\n\r\n").as_bytes())
        };
        assert!(head("18446744073709551615").content_length_overflows());
        assert!(head("99999999999999999999999").content_length_overflows());
        assert!(!head("10485760").content_length_overflows());
        assert!(!head("12, 12").content_length_overflows());
    }

    #[test]
    fn chunk_sizes_are_read_after_the_head() {
        let head = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
        let with = |body: &[u8]| {
            let mut all = head.to_vec();
            all.extend_from_slice(body);
            tail(&all)
        };
        assert!(with(b"FFFFFFFF\r\nabc").chunk_exceeds(1 << 20));
        assert!(with(b"5\r\nhello\r\n100001;ext=1\r\n").chunk_exceeds(1 << 20));
        assert!(!with(b"5\r\nhello\r\n0\r\n\r\n").chunk_exceeds(1 << 20));
        assert!(!with(b"400\r\nab").chunk_exceeds(1 << 20));
        assert!(!tail(b"no head here").chunk_exceeds(1));
        // The last two reads are kept: a head and a chunk line apart.
        let t = Tail::default();
        t.record(&vec![b'x'; 10_000]);
        t.record(head);
        t.record(b"FFFFFFFFFF\r\n");
        assert!(t.chunk_exceeds(1 << 20));
    }
}
