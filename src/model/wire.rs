//! The boundary between the broker side (`broker/`) and the client side (`client/`).
//!
//! Neither side imports the other: `broker/` never names a `client::` item and `client/` never
//! names a `broker::` item. What they share is here: the request a client puts on the wire
//! ([`Task`], [`TaskKind`]), the Netty channel events it causes ([`NettyKind`]) and the answer it
//! gets ([`Reply`]). Both sides are `impl World` blocks, so a call across the boundary is a
//! `World` method; these are the only ones, and each is `pub(crate)` on its side:
//!
//! - client → broker: `submit_task` (a HEART_BEAT / UNREGISTER_CLIENT request reaches an
//!   executor, broker/heartbeat_executor.rs), `push_netty_event` (a channel opens or closes,
//!   broker/netty_event_executor.rs), and the pull path of broker/long_polling.rs
//!   (`pull_refused`, `wake_held_pulls`, `fail_held_pulls`).
//! - broker → client: `rpc_reply` (the reply, client/instance.rs), `channel_of`,
//!   `close_channel`, `drop_channel_on_restart` (the channel as the client holds it,
//!   client/instance.rs and client/mod.rs), `request_rebalance` (NOTIFY_CONSUMER_IDS_CHANGED,
//!   client/rebalance.rs), and the pull answer of broker/long_polling.rs.
//! - state read across: a rebalance reads the broker's consumer id list (`Broker::consumer_ids`,
//!   what GET_CONSUMER_LIST_BY_GROUP returns); long polling reads and answers the held pulls kept
//!   in the consumer's process queues (`World::consumers`); a restart walks `World::clients`.
//!
//! Must not: hold state or logic; it is types and this list.

use super::{ChannelId, ClientId, GroupId};

/// No tracked consumer group.
pub const NO_GROUP: u16 = u16::MAX;

/// The kind of request a worker handles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskKind {
    /// HEART_BEAT.
    Heartbeat,
    /// UNREGISTER_CLIENT.
    Unregister,
}

/// A request in an executor: what the client sent and when it arrived.
#[derive(Clone, Copy, Debug)]
pub struct Task {
    pub kind: TaskKind,
    pub client: ClientId,
    pub channel: ChannelId,
    pub req: u32,
    pub enqueued_ns: u64,
    pub groups: [GroupId; 2],
    pub n_groups: u8,
    pub consumer_group: u16,
    /// The consumer's subscription version carried by a heartbeat (0 for other clients).
    pub sub_version: u64,
}

/// Netty channel events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NettyKind {
    Connect,
    Close,
    Idle,
    Exception,
}

/// The answer a client gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reply {
    Success,
    /// SYSTEM_BUSY (queue full, or dropped by the fast-failure sweep).
    Busy,
}
