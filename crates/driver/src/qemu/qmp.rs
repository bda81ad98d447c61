//! A small QMP client: one connection per command over the VM's unix
//! socket (the socket serves one client at a time, so nothing is held).
//! Events that arrive between the greeting and the reply are skipped.

use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;

/// Why a QMP command did not get its answer.
#[derive(Debug, thiserror::Error)]
pub enum QmpError {
    #[error("QMP socket: {0}")]
    Io(#[from] std::io::Error),
    #[error("QMP did not answer within {0:?}")]
    Timeout(Duration),
    #[error("QMP closed the connection")]
    Closed,
    #[error("QMP refused {command}: {message}")]
    Refused { command: String, message: String },
}

/// Runs `command` (with `arguments`) and returns its `return` value.
pub async fn execute(
    socket: &Path,
    command: &str,
    arguments: Option<Value>,
    limit: Duration,
) -> Result<Value, QmpError> {
    tokio::time::timeout(limit, exchange(socket, command, arguments))
        .await
        .map_err(|_| QmpError::Timeout(limit))?
}

async fn exchange(
    socket: &Path,
    command: &str,
    arguments: Option<Value>,
) -> Result<Value, QmpError> {
    let stream = UnixStream::connect(socket).await?;
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    // The greeting, then capabilities negotiation, then the command.
    lines.next_line().await?.ok_or(QmpError::Closed)?;
    send(&mut write, json!({"execute": "qmp_capabilities"})).await?;
    reply(&mut lines, "qmp_capabilities").await?;
    let mut request = json!({ "execute": command });
    if let Some(arguments) = arguments {
        request["arguments"] = arguments;
    }
    send(&mut write, request).await?;
    reply(&mut lines, command).await
}

async fn send(write: &mut tokio::net::unix::OwnedWriteHalf, v: Value) -> Result<(), QmpError> {
    let mut line = v.to_string();
    line.push('\n');
    write.write_all(line.as_bytes()).await?;
    Ok(())
}

async fn reply(
    lines: &mut tokio::io::Lines<BufReader<tokio::net::unix::OwnedReadHalf>>,
    command: &str,
) -> Result<Value, QmpError> {
    loop {
        let line = lines.next_line().await?.ok_or(QmpError::Closed)?;
        let Ok(v) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        if let Some(r) = v.get("return") {
            return Ok(r.clone());
        }
        if let Some(e) = v.get("error") {
            return Err(QmpError::Refused {
                command: command.to_string(),
                message: e
                    .get("desc")
                    .and_then(Value::as_str)
                    .unwrap_or("error")
                    .to_string(),
            });
        }
        // An event: not the answer.
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::UnixListener;

    /// A fake QMP server that greets, sends an event before each reply,
    /// and answers `query-status` as a running VM does.
    async fn serve_once(listener: UnixListener) {
        let (stream, _) = listener.accept().await.expect("accept");
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read).lines();
        write
            .write_all(b"{\"QMP\": {\"version\": {}, \"capabilities\": []}}\n")
            .await
            .expect("greet");
        while let Ok(Some(line)) = lines.next_line().await {
            let v: Value = serde_json::from_str(&line).expect("json");
            write
                .write_all(b"{\"event\": \"RESUME\", \"timestamp\": {}}\n")
                .await
                .expect("event");
            let answer = match v["execute"].as_str() {
                Some("qmp_capabilities") => json!({"return": {}}),
                Some("query-status") => json!({"return": {"status": "running", "running": true}}),
                _ => json!({"error": {"class": "CommandNotFound", "desc": "no such command"}}),
            };
            write
                .write_all(format!("{answer}\n").as_bytes())
                .await
                .expect("answer");
        }
    }

    #[tokio::test]
    async fn answers_skip_events_and_errors_are_typed() {
        let dir = std::env::temp_dir().join(format!("stratus-qmp-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("qmp.sock");
        let _ = std::fs::remove_file(&path);
        let listener = UnixListener::bind(&path).expect("bind");
        let server = tokio::spawn(serve_once(listener));
        let status = execute(&path, "query-status", None, Duration::from_secs(5))
            .await
            .expect("answer");
        assert_eq!(status["status"], "running");
        server.await.expect("server");
        let listener = UnixListener::bind({
            let _ = std::fs::remove_file(&path);
            &path
        })
        .expect("bind again");
        let server = tokio::spawn(serve_once(listener));
        let refused = execute(&path, "nonsense", None, Duration::from_secs(5)).await;
        assert!(
            matches!(refused, Err(QmpError::Refused { ref message, .. }) if message == "no such command"),
            "{refused:?}"
        );
        server.await.expect("server");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
