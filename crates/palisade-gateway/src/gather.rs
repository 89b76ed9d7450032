//! Gathering a request body read in frames into one buffer.
//!
//! A body that comes in one frame is kept as it came. Small bodies of
//! several frames are joined on the heap. Larger ones go to an anonymous
//! mapping sized for the whole body, which the kernel takes back the moment
//! the body is dropped: after a burst of large uploads the gateway's
//! memory returns to what it was, instead of staying in the allocator's
//! caches, and no buffer is copied as it doubles.

use bytes::Bytes;
use memmap2::MmapMut;

/// Bodies up to this size are joined on the heap.
const HEAP_BODY: usize = 128 << 10;

/// A mapping and how much of it the body fills.
struct Mapped {
    map: MmapMut,
    len: usize,
}

impl AsRef<[u8]> for Mapped {
    fn as_ref(&self) -> &[u8] {
        &self.map[..self.len]
    }
}

pub(crate) struct Gather {
    first: Bytes,
    heap: Vec<u8>,
    mapped: Option<Mapped>,
    /// The room a mapping is made with: the announced length, else the
    /// body limit (room never written costs no memory).
    room: usize,
}

impl Gather {
    pub(crate) fn new(limit: usize, declared: Option<u64>) -> Gather {
        let room = declared
            .and_then(|n| usize::try_from(n).ok())
            .map_or(limit, |n| n.min(limit));
        Gather {
            first: Bytes::new(),
            heap: Vec::new(),
            mapped: None,
            room,
        }
    }

    pub(crate) fn len(&self) -> usize {
        match &self.mapped {
            Some(m) => m.len,
            None => self.first.len() + self.heap.len(),
        }
    }

    /// Adds a frame; an error when no mapping could be made for it.
    pub(crate) fn push(&mut self, data: Bytes) -> std::io::Result<()> {
        if let Some(m) = &mut self.mapped {
            return append(m, &data);
        }
        if self.first.is_empty() && self.heap.is_empty() {
            self.first = data;
            return Ok(());
        }
        let total = self.len() + data.len();
        if total > HEAP_BODY {
            let map = MmapMut::map_anon(self.room.max(total))?;
            let mut m = Mapped { map, len: 0 };
            append(&mut m, &self.first)?;
            append(&mut m, &self.heap)?;
            append(&mut m, &data)?;
            self.first = Bytes::new();
            self.heap = Vec::new();
            self.mapped = Some(m);
            return Ok(());
        }
        if self.heap.is_empty() {
            self.heap.reserve(self.room.clamp(total, HEAP_BODY));
            self.heap.extend_from_slice(&self.first);
            self.first = Bytes::new();
        }
        self.heap.extend_from_slice(&data);
        Ok(())
    }

    pub(crate) fn finish(self) -> Bytes {
        match self.mapped {
            Some(m) => Bytes::from_owner(m),
            None if !self.heap.is_empty() => Bytes::from(self.heap),
            None => self.first,
        }
    }
}

/// Copies `data` after what `m` holds; an error past its room (a body
/// longer than it announced, which the HTTP layer does not let through).
fn append(m: &mut Mapped, data: &[u8]) -> std::io::Result<()> {
    let end = m.len + data.len();
    let Some(slot) = m.map.get_mut(m.len..end) else {
        return Err(std::io::Error::other("body longer than its mapping"));
    };
    slot.copy_from_slice(data);
    m.len = end;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gathered(frames: &[&[u8]], limit: usize, declared: Option<u64>) -> Bytes {
        let mut g = Gather::new(limit, declared);
        for frame in frames {
            g.push(Bytes::copy_from_slice(frame)).expect("push");
        }
        assert_eq!(g.len(), frames.iter().map(|f| f.len()).sum::<usize>());
        g.finish()
    }

    #[test]
    fn one_frame_is_kept_several_are_joined_in_order() {
        assert_eq!(gathered(&[b"abc"], 100, None), Bytes::from_static(b"abc"));
        assert_eq!(
            gathered(&[b"ab", b"", b"cd", b"e"], 100, Some(5)),
            Bytes::from_static(b"abcde")
        );
        assert!(gathered(&[], 100, None).is_empty());
    }

    #[test]
    fn large_bodies_are_mapped_with_or_without_an_announced_length() {
        let frame = vec![7u8; 50_000];
        let frames: Vec<&[u8]> = (0..5).map(|_| frame.as_slice()).collect();
        let mut expected = Vec::new();
        for f in &frames {
            expected.extend_from_slice(f);
        }
        for declared in [Some(250_000), None] {
            let body = gathered(&frames, 10 << 20, declared);
            assert_eq!(body.len(), 250_000);
            assert_eq!(body.as_ref(), expected.as_slice());
        }
        // Past the announced length: an error, not a panic.
        let mut g = Gather::new(10 << 20, Some(200_000));
        for _ in 0..4 {
            g.push(Bytes::copy_from_slice(&frame)).expect("push");
        }
        assert!(g.push(Bytes::copy_from_slice(&frame)).is_err());
    }
}
