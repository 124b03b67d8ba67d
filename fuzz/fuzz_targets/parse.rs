//! Detection, every format's parser and the assembler over arbitrary bytes: nothing may panic
//! or hang, whatever a log contains. The first byte picks a forced format (or detection), so
//! each parser sees input it would never have been detected on too. Streaming (settle mode)
//! runs with a tiny window, so sessions settle and keys are forgotten all the time.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smtpscope::formats;
use smtpscope::load::{load_reader, stream_reader, LoadOptions};
use smtpscope::output;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let all = formats::all();
    let format = all.get(usize::from(pick) % (all.len() + 1)).copied();
    let opts = LoadOptions {
        format,
        year: Some(2026),
    };
    let mut streamed = 0;
    let mut sink = |batch: Vec<smtpscope::model::Session>| {
        streamed += batch.len();
        Ok(())
    };
    let window = u64::from(pick % 7) + 1;
    let _ = stream_reader("fuzz".into(), body, &opts, 2026, window, &mut sink);
    if let Ok((sessions, _report)) = load_reader("fuzz".into(), body, &opts, 2026) {
        // A record after the window opens a new session, never loses one.
        assert!(streamed >= sessions.len(), "{streamed} streamed, {} loaded", sessions.len());
        for s in &sessions {
            let _ = output::json::session_json(s, false);
            let _ = output::list::session_line(s);
            for i in 0..s.events.len() {
                let _ = smtpscope::explain::event_note(s, i);
            }
        }
    }
});
