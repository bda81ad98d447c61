//! Time control: `GET`/`PUT /_stratus/speed` (`{"speed": F}` changes the
//! factor simulated durations are divided by, for operations accepted from
//! then on; `{"manual": true}` makes finished operations wait until
//! released), `POST /_stratus/operations/ID/complete` releases one and
//! `POST /_stratus/operations/complete` every one waiting.

use super::error;
use crate::request::{RawRequest, Response};
use serde::Deserialize;
use serde_json::json;
use stratus_engine::lifecycle::OperationKind;
use stratus_engine::Engine;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SpeedChange {
    speed: Option<f64>,
    manual: Option<bool>,
    /// Seconds per operation kind (`REBOOT`, `RESET_PASSWORD`, ...; `null`:
    /// back to the speed).
    durations: Option<std::collections::BTreeMap<String, Option<f64>>>,
}

/// `/_stratus/speed`.
pub fn speed(engine: &Engine, req: &RawRequest) -> Response {
    match req.method.as_str() {
        "GET" => current(engine),
        "PUT" => {
            let change: SpeedChange = match serde_json::from_slice(&req.body) {
                Ok(c) => c,
                Err(e) => {
                    return error(
                        400,
                        &format!(
                            "expected {{\"speed\": F}} and/or {{\"manual\": true|false}}: {e}"
                        ),
                    )
                }
            };
            if let Some(speed) = change.speed {
                if !(speed.is_finite() && speed > 0.0) {
                    return error(400, "speed must be a positive number");
                }
                if !engine.set_speed(speed) {
                    return error(
                        409,
                        "this driver runs real machines: its durations are not simulated",
                    );
                }
            }
            for (name, seconds) in change.durations.unwrap_or_default() {
                let Some(kind) = OperationKind::ALL
                    .iter()
                    .copied()
                    .find(|k| stratus_engine::events::upper(k) == name)
                else {
                    return error(
                        400,
                        &format!("`{name}` is not an operation kind (REBOOT, START, ...)"),
                    );
                };
                let duration = match seconds {
                    None => None,
                    Some(s) if s.is_finite() && s >= 0.0 => {
                        Some(std::time::Duration::from_secs_f64(s))
                    }
                    Some(_) => return error(400, "a duration is a non-negative number of seconds"),
                };
                if !engine.set_duration(kind, duration) {
                    return error(
                        409,
                        "this driver runs real machines: its durations are not simulated",
                    );
                }
            }
            if let Some(manual) = change.manual {
                engine.time_control().set_manual(manual);
            }
            current(engine)
        }
        _ => error(405, "GET or PUT"),
    }
}

fn current(engine: &Engine) -> Response {
    Response::json(
        200,
        "application/json",
        &json!({"speed": engine.speed(), "manual": engine.time_control().manual()}),
    )
}

/// `/_stratus/operations/ID/complete` (`id`), or every waiting one.
pub fn complete(engine: &Engine, req: &RawRequest, id: Option<&str>) -> Response {
    if req.method != "POST" {
        return error(405, "POST");
    }
    match id {
        Some(id) => engine.time_control().release(id),
        None => engine.time_control().release_all(),
    }
    Response::json(
        200,
        "application/json",
        &json!({"released": id.unwrap_or("all")}),
    )
}
