//! A change Route 53 accepted, and its state: what the call path, the
//! INSYNC wait and the node's shared pending files all speak of.

/// A change's state as GetChange reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChangeState {
    Pending,
    InSync,
}

/// A change Route 53 accepted: its ID, and its status in the answer that
/// accepted it (a change can be INSYNC at once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Accepted {
    pub id: String,
    pub state: ChangeState,
}
