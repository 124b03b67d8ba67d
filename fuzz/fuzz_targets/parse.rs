//! Detection, every format's parser and the assembler over arbitrary bytes: nothing may panic
//! or hang, whatever a log contains. The first byte picks a forced format (or detection), so
//! each parser sees input it would never have been detected on too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smtpscope::formats;
use smtpscope::load::{load_reader, LoadOptions};
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
    if let Ok((sessions, _report)) = load_reader("fuzz".into(), body, &opts, 2026) {
        for s in &sessions {
            let _ = output::json::session_json(s, false);
            let _ = output::list::session_line(s);
            for i in 0..s.events.len() {
                let _ = smtpscope::explain::event_note(s, i);
            }
        }
    }
});
