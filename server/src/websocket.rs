//! The server's side of a WebSocket (RFC 6455), kept small for the thousands of connections
//! that sit idle: between messages one holds no read or write buffer.
//!
//! Layout:
//! - `handshake`: checks the upgrade request and answers it.
//! - `frames`: reads and writes frames, without I/O.
//!
//! [`WebSocket`] reads through a buffer on the stack of each poll and keeps bytes only while a
//! frame is incomplete; what it sends waits in a buffer that is freed once written. A socket
//! with nothing in hand can wait for its peer without any task: [`WebSocket::poll_rest`] leaves
//! a waker with the socket alone.

use std::future::{poll_fn, Future};
use std::io;
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWriteExt, ReadBuf};

pub mod frames;
pub mod handshake;

#[cfg(test)]
mod tests;

use frames::{FrameError, FrameReader, Incoming};

/// Bytes read from the socket at a time, into a buffer that lives only during the read.
const READ_CHUNK: usize = 4096;
/// Queued frames are written out once they fill this much, and at every flush.
const WRITE_BATCH: usize = 64 * 1024;

/// Why reading stopped before a message came.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Frame(#[from] FrameError),
    #[error("the connection ended inside a frame")]
    Truncated,
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// One upgraded connection.
pub struct WebSocket<Io = TokioIo<Upgraded>> {
    io: Io,
    reader: FrameReader,
    /// Frames queued and not yet written, from `written` on; freed once all are out.
    unsent: Vec<u8>,
    written: usize,
    /// The byte [`Self::poll_rest`] read to learn that the peer sent something; it is read
    /// again first.
    peeked: Option<u8>,
}

impl<Io> WebSocket<Io>
where
    Io: AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    /// `max_frame_bytes` bounds each frame and each fragmented message the peer sends.
    pub fn new(io: Io, max_frame_bytes: usize) -> Self {
        Self {
            io,
            reader: FrameReader::new(max_frame_bytes),
            unsent: Vec::new(),
            written: 0,
            peeked: None,
        }
    }

    /// The next message or control frame; `None` once the peer has closed the connection
    /// between messages. Cancel-safe: bytes read stay with the socket.
    pub fn receive(&mut self) -> impl Future<Output = Option<Result<Incoming, ReadError>>> + '_ {
        poll_fn(move |cx| self.poll_next(cx))
    }

    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Incoming, ReadError>>> {
        match self.reader.next_kept() {
            Ok(Some(incoming)) => return Poll::Ready(Some(Ok(incoming))),
            Ok(None) => {}
            Err(error) => return Poll::Ready(Some(Err(error.into()))),
        }
        if let Some(byte) = self.peeked.take() {
            match self.reader.push(&[byte]) {
                Ok(Some(incoming)) => return Poll::Ready(Some(Ok(incoming))),
                Ok(None) => {}
                Err(error) => return Poll::Ready(Some(Err(error.into()))),
            }
        }
        loop {
            // Not zeroed first: the read says how much of it it filled.
            let mut chunk = [MaybeUninit::<u8>::uninit(); READ_CHUNK];
            let mut read = ReadBuf::uninit(&mut chunk);
            if let Err(error) = ready!(Pin::new(&mut self.io).poll_read(cx, &mut read)) {
                return Poll::Ready(Some(Err(error.into())));
            }
            if read.filled().is_empty() {
                return Poll::Ready(if self.reader.is_between_messages() {
                    None
                } else {
                    Some(Err(ReadError::Truncated))
                });
            }
            match self.reader.push(read.filled()) {
                Ok(Some(incoming)) => return Poll::Ready(Some(Ok(incoming))),
                Ok(None) => {}
                Err(error) => return Poll::Ready(Some(Err(error.into()))),
            }
        }
    }

    /// Queues a frame; it is written once enough is queued, or at the next [`Self::flush`].
    pub async fn feed(&mut self, opcode: u8, payload: &[u8]) -> io::Result<()> {
        frames::write_frame(opcode, payload, &mut self.unsent);
        if self.unsent.len() - self.written >= WRITE_BATCH {
            self.write_unsent().await?;
        }
        Ok(())
    }

    /// Queues a frame and writes everything queued.
    pub async fn send(&mut self, opcode: u8, payload: &[u8]) -> io::Result<()> {
        self.feed(opcode, payload).await?;
        self.flush().await
    }

    /// Writes everything queued. Cancel-safe: what was not written stays queued, so frames
    /// never interleave on the wire.
    pub async fn flush(&mut self) -> io::Result<()> {
        self.write_unsent().await?;
        self.io.flush().await
    }

    async fn write_unsent(&mut self) -> io::Result<()> {
        while self.written < self.unsent.len() {
            let n = self.io.write(&self.unsent[self.written..]).await?;
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            self.written += n;
        }
        self.unsent = Vec::new();
        self.written = 0;
        Ok(())
    }

    /// Sends a close frame, ends the sending side, then reads whatever the peer still sends
    /// (its own close frame) until it closes too, so the connection ends without a reset that
    /// could cost the peer the last frames.
    pub async fn close(&mut self, code: u16, reason: &str) -> io::Result<()> {
        self.send(frames::CLOSE, &frames::close_payload(code, reason))
            .await?;
        self.io.shutdown().await?;
        let mut chunk = [0u8; 512];
        while tokio::io::AsyncReadExt::read(&mut self.io, &mut chunk).await? > 0 {}
        Ok(())
    }

    /// True when nothing is in hand: no part of a message read, nothing waiting to be written.
    pub fn is_idle(&self) -> bool {
        self.reader.is_between_messages() && self.unsent.is_empty() && self.peeked.is_none()
    }

    /// Leaves `cx`'s waker with the socket, to be woken when the peer sends anything (or
    /// closes). Returns true when something is there already: then there is nothing to wait
    /// for, and the next [`Self::receive`] reads it. One byte may be read to find out; it is
    /// kept and read first.
    pub fn poll_rest(&mut self, cx: &mut Context<'_>) -> bool {
        if !self.is_idle() {
            return true;
        }
        let mut byte = [MaybeUninit::<u8>::uninit(); 1];
        let mut read = ReadBuf::uninit(&mut byte);
        match Pin::new(&mut self.io).poll_read(cx, &mut read) {
            Poll::Pending => false,
            // An end or an error is found again by the next read.
            Poll::Ready(Err(_)) => true,
            Poll::Ready(Ok(())) => {
                self.peeked = read.filled().first().copied();
                true
            }
        }
    }

    /// Bytes held for incomplete input and unsent output (none while idle).
    pub fn held_bytes(&self) -> usize {
        self.reader.held_bytes() + self.unsent.capacity()
    }
}
