//! Owns the terminal: raw mode and the alternate screen on the way in, and a restore that
//! runs on every way out (normal quit, error, panic via a hook), plus Ctrl-Z suspend. Mouse
//! reporting is on for click-to-select and the wheel (hold Shift to select text).

use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::{cursor, execute, terminal};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;
use std::io::{self, Stdout, Write};
use std::sync::Once;

pub type Term = Terminal<CrosstermBackend<Stdout>>;

/// Raw mode, alternate screen, hidden cursor; installs the restoring panic hook once.
pub fn enter() -> io::Result<Term> {
    install_panic_hook();
    terminal::enable_raw_mode()?;
    if let Err(e) = execute!(
        io::stdout(),
        terminal::EnterAlternateScreen,
        cursor::Hide,
        EnableMouseCapture
    ) {
        restore();
        return Err(e);
    }
    Terminal::new(CrosstermBackend::new(io::stdout()))
}

/// Puts the terminal back as the shell expects it. Safe to call more than once.
pub fn restore() {
    let _ = terminal::disable_raw_mode();
    let mut out = io::stdout();
    let _ = execute!(
        out,
        DisableMouseCapture,
        terminal::LeaveAlternateScreen,
        cursor::Show
    );
    let _ = out.flush();
}

fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            // The loader catches its own panics (and its helper threads') and reports them
            // through the viewer; restoring (or printing over) the screen from there would
            // break the running viewer.
            if crate::feed::panic_reaches_the_loader(std::thread::current().name()) {
                return;
            }
            restore();
            previous(info);
        }));
    });
}

/// Ctrl-Z: restores the terminal, stops the process like the shell would, and takes the
/// terminal back when resumed (`fg`). The caller redraws everything afterwards.
pub fn suspend(term: &mut Term) -> io::Result<()> {
    restore();
    #[cfg(unix)]
    // SAFETY: raise() only sends a signal to this process; SIGTSTP's default action stops
    // it and returns here after SIGCONT. No memory is shared with the call.
    unsafe {
        libc::raise(libc::SIGTSTP);
    }
    terminal::enable_raw_mode()?;
    execute!(
        io::stdout(),
        terminal::EnterAlternateScreen,
        cursor::Hide,
        EnableMouseCapture
    )?;
    term.clear()
}

/// Sends an OSC 52 clipboard request straight to the terminal.
pub fn write_raw(bytes: &str) -> io::Result<()> {
    let mut out = io::stdout();
    out.write_all(bytes.as_bytes())?;
    out.flush()
}
