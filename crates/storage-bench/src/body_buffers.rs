//! [`BodyBuffers`]: the buffers GET bodies are read into, reused from one operation to the
//! next. A body is kept until its SHA-256 is checked after the timed batch, then its buffer
//! comes back here. A fresh 20 MiB buffer costs 5 120 page faults on its first fill (2–5 ms
//! on the 2-core VM, more than reading the object from the page cache), which a plain read
//! loop — or any client that reuses its buffer — does not pay; reuse keeps that cost, the
//! allocator's, out of the storage path's figure.

use std::sync::{Arc, Mutex};

/// Buffers kept at the most (a batch holds one body per object in flight or read).
const MAX_KEPT: usize = 64;

/// A pool of body buffers, shared by the operations of one backend and object size.
#[derive(Clone, Default)]
pub(crate) struct BodyBuffers(Arc<Mutex<Vec<Vec<u8>>>>);

impl BodyBuffers {
    /// An empty buffer with room for `capacity` bytes: a kept one when there is one.
    pub(crate) fn take(&self, capacity: usize) -> Vec<u8> {
        let kept = self.0.lock().map(|mut kept| kept.pop()).unwrap_or_default();
        let mut buffer = kept.unwrap_or_default();
        buffer.clear();
        buffer.reserve_exact(capacity);
        buffer
    }

    /// Keeps `buffer` for a later [`take`](BodyBuffers::take), up to [`MAX_KEPT`].
    pub(crate) fn give_back(&self, buffer: Vec<u8>) {
        if let Ok(mut kept) = self.0.lock()
            && kept.len() < MAX_KEPT
        {
            kept.push(buffer);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_buffer_given_back_is_taken_again_empty() {
        let buffers = BodyBuffers::default();
        let mut first = buffers.take(1 << 20);
        first.extend_from_slice(b"body");
        let address = first.as_ptr();
        buffers.give_back(first);
        let again = buffers.take(1 << 20);
        assert!(again.is_empty());
        assert_eq!(again.as_ptr(), address, "the same allocation, reused");
        assert!(again.capacity() >= 1 << 20);
    }

    #[test]
    fn at_most_max_kept_are_kept() {
        let buffers = BodyBuffers::default();
        for _ in 0..MAX_KEPT + 10 {
            buffers.give_back(Vec::with_capacity(16));
        }
        assert_eq!(buffers.0.lock().unwrap().len(), MAX_KEPT);
    }
}
