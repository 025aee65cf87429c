//! The build of a fake deployment, as a state machine. It moves one step
//! each time the deployment is fetched (deterministic, no clock), so tests
//! can poll it the way they poll a real vendor.

use paddock_sdk::deploy::DeployState;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum State {
    Queued,
    Building,
    Ready,
    Error,
    Canceled,
}

impl State {
    /// The next state and the log line of the change; none once settled.
    pub fn advance(self, fail: bool) -> Option<(State, &'static str)> {
        match self {
            State::Queued => Some((State::Building, "build started")),
            State::Building if fail => Some((
                State::Error,
                "build failed: FAKE_FAIL=1 is set in the environment",
            )),
            State::Building => Some((State::Ready, "build finished; deployment is ready")),
            State::Ready | State::Error | State::Canceled => None,
        }
    }

    pub fn cancelable(self) -> bool {
        matches!(self, State::Queued | State::Building)
    }

    pub fn name(self) -> &'static str {
        match self {
            State::Queued => "queued",
            State::Building => "building",
            State::Ready => "ready",
            State::Error => "error",
            State::Canceled => "canceled",
        }
    }
}

impl From<State> for DeployState {
    fn from(s: State) -> Self {
        match s {
            State::Queued => DeployState::Queued,
            State::Building => DeployState::Building,
            State::Ready => DeployState::Ready,
            State::Error => DeployState::Error,
            State::Canceled => DeployState::Canceled,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(fail: bool) -> Vec<State> {
        let mut s = State::Queued;
        let mut seen = vec![s];
        while let Some((next, _)) = s.advance(fail) {
            s = next;
            seen.push(s);
        }
        seen
    }

    #[test]
    fn paths() {
        assert_eq!(walk(false), [State::Queued, State::Building, State::Ready]);
        assert_eq!(walk(true), [State::Queued, State::Building, State::Error]);
        assert!(State::Canceled.advance(false).is_none());
        assert!(State::Building.cancelable() && !State::Ready.cancelable());
    }
}
