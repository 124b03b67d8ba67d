//! When no helper thread can be started (a process limit), every load runs on the thread that
//! asked: `SMTPSCOPE_DEBUG_NO_THREADS=1` refuses them all, and the output must not change.
//! The viewer's side of this is in `e2e_tmux.rs`.

#[path = "../examples/common/loggen/mod.rs"]
mod loggen;

use assert_cmd::Command;

fn output(args: &[&str], no_threads: bool) -> Vec<u8> {
    let mut cmd = Command::cargo_bin("smtpscope").expect("binary built");
    cmd.args(args);
    if no_threads {
        cmd.env(smtpscope::threads::REFUSE_VAR, "1");
    } else {
        cmd.env_remove(smtpscope::threads::REFUSE_VAR);
    }
    let out = cmd.output().expect("runs");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Generated logs big enough for many parse batches and settled hand-outs, and every sample:
/// `--list` and `--json` are the same bytes on one thread as on three.
#[test]
fn one_thread_gives_the_same_output() {
    let dir = tempfile::tempdir().unwrap();
    let mut inputs = vec![concat!(env!("CARGO_MANIFEST_DIR"), "/sample-logs").to_owned()];
    for format in loggen::FORMATS {
        let path = dir.path().join(format!("{format}.log"));
        let mut log = Vec::new();
        loggen::generate(format, 2, 11, &mut log).expect("generates");
        std::fs::write(&path, log).unwrap();
        inputs.push(path.to_str().unwrap().to_owned());
    }
    for input in &inputs {
        for mode in ["--list", "--json"] {
            let threaded = output(&[mode, input], false);
            let alone = output(&[mode, input], true);
            assert!(
                threaded.len() > 1000,
                "{mode} {input}: output too short to compare"
            );
            assert!(
                threaded == alone,
                "{mode} {input}: one thread printed something else"
            );
        }
    }
}
