//! A one-line account of each session for lists and scripts. The sentence is the diagnosis
//! built in [`crate::explain::diagnosis`]; this name is kept for callers of the old API.

use crate::model::Session;

/// One sentence: what happened, the reply that decided it, and the likely fix.
pub fn summarize(s: &Session) -> String {
    crate::explain::verdict(s)
}
