//! The one-process binary wires its services together in memory: the only socket it listens
//! on is the gateway's, so no local process can reach a service past the gateway.
use std::{
    collections::BTreeSet,
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    sync::mpsc,
    time::Duration,
};

#[test]
fn one_process_binary_listens_only_on_its_http_port() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut child = Command::new(env!("CARGO_BIN_EXE_astro-auth"))
        .env_clear()
        .env(
            "DATABASE_URL",
            format!("sqlite:///{}", dir.path().join("astro.db").display()),
        )
        .env("HOST", "127.0.0.1")
        .env("PORT", "0")
        .env("MAIL_DIR", dir.path().join("mail"))
        .env("AVATAR_DIR", dir.path().join("avatars"))
        .env("RUST_LOG", "info")
        .env("LOG_FORMAT", "json")
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting astro-auth");
    let _kill = KillOnDrop(child.id());

    // The start log names the HTTP address once every service serves.
    let stdout = child.stdout.take().expect("piped stdout");
    let (found, port) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.contains("astro-auth listening")
                && let Some(addr) = serde_json::from_str::<serde_json::Value>(&line)
                    .ok()
                    .and_then(|v| v["fields"]["http_addr"].as_str().map(str::to_owned))
            {
                let _ = found.send(addr);
            }
        }
    });
    let http_addr = port
        .recv_timeout(Duration::from_secs(60))
        .expect("astro-auth logs its HTTP address when it has started");
    let http_port: u16 = http_addr
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("a port in the HTTP address");

    let listening = listening_ports(child.id());
    assert_eq!(
        listening,
        BTreeSet::from([http_port]),
        "the process listens on more than the gateway's port"
    );
    let _ = child.kill();
    let _ = child.wait();
}

/// The TCP ports that sockets of process `pid` listen on (IPv4 and IPv6), from `/proc`.
fn listening_ports(pid: u32) -> BTreeSet<u16> {
    let inodes: BTreeSet<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("reading the process's file descriptors")
        .filter_map(|entry| std::fs::read_link(entry.ok()?.path()).ok())
        .filter_map(|target| {
            let target = target.to_string_lossy().into_owned();
            Some(target.strip_prefix("socket:[")?.strip_suffix(']')?.to_owned())
        })
        .collect();
    let mut ports = BTreeSet::new();
    for table in ["tcp", "tcp6"] {
        let text = std::fs::read_to_string(format!("/proc/{pid}/net/{table}")).unwrap_or_default();
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // local_address is HEXIP:HEXPORT, st 0A is LISTEN, the inode is the tenth field.
            let (Some(local), Some(&"0A"), Some(inode)) = (fields.get(1), fields.get(3), fields.get(9))
            else {
                continue;
            };
            if inodes.contains(*inode)
                && let Some(port) = local
                    .rsplit(':')
                    .next()
                    .and_then(|p| u16::from_str_radix(p, 16).ok())
            {
                ports.insert(port);
            }
        }
    }
    ports
}

/// Kills the child if the test fails before it does.
struct KillOnDrop(u32);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-KILL", &self.0.to_string()]).status();
    }
}
