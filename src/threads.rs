//! Starting the optional helper threads (parsing, assembling, making rows). A process limit
//! can refuse a new thread at any time; each helper then has its work done on the thread that
//! asked for it. `SMTPSCOPE_DEBUG_NO_THREADS=1` refuses every helper, so the tests run those
//! one-thread paths, which a healthy machine never takes.

use std::io;
use std::thread::Builder;

/// What the tests set to refuse helper threads.
pub const REFUSE_VAR: &str = "SMTPSCOPE_DEBUG_NO_THREADS";

/// A builder for a helper thread called `name`, or the error a refused thread gives.
pub fn helper(name: &str) -> io::Result<Builder> {
    if std::env::var_os(REFUSE_VAR).is_some_and(|v| v == "1") {
        return Err(io::Error::new(
            io::ErrorKind::WouldBlock,
            format!("{REFUSE_VAR}=1: no thread for {name}"),
        ));
    }
    Ok(Builder::new().name(name.into()))
}
