//! The container logs of an AKS Periscope bundle. Its `podscontainerlogs`
//! collector stores each container's log (the last 100 lines) as one JSON
//! object, `{"name", "ready", "status", "restart", "age", "containerName",
//! "containerLog"}`, under the key `<pod>-<container>`; since pod and
//! container names both hold dashes, the key cannot be split and the pod and
//! container are read from the object. Periscope does not record the
//! namespace (it comes from the collector's list of namespaces), so none is
//! returned. [`container_log`] unwraps one entry: its pod, its container and
//! the log text, to be classified like any other log; an entry that is not
//! such an object gives an error saying what was expected.

use std::io::Read;

use serde::Deserialize;

use crate::sanitize::for_terminal;

/// The most bytes of one entry read as JSON; larger entries are refused
/// (a Periscope container log holds 100 lines).
pub const MAX_JSON: u64 = 64 << 20;

/// What the entry expects, for error messages.
const EXPECTED: &str = "expected an AKS Periscope podscontainerlogs JSON object with \
     string fields `name` (the pod), `containerName` and `containerLog`";

/// One unwrapped `podscontainerlogs` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerLog {
    pub pod: String,
    pub container: String,
    /// The log text, as `kubectl logs` printed it.
    pub log: String,
}

/// The object as Periscope writes it; the other fields (`ready`, `status`,
/// `restart`, `age`) are not needed.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", expecting = "a JSON object")]
struct Wrapped {
    name: Option<String>,
    container_name: Option<String>,
    container_log: Option<String>,
}

/// Reads one `podscontainerlogs` entry (at most [`MAX_JSON`] bytes), or
/// says what is wrong with it, as a phrase that can follow the entry's name
/// or "cannot be read:". Error messages are safe for a terminal.
pub fn container_log(reader: &mut dyn Read) -> Result<ContainerLog, String> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_JSON + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| for_terminal(&e.to_string()).into_owned())?;
    if bytes.len() as u64 > MAX_JSON {
        return Err(format!("larger than {} MiB; {EXPECTED}", MAX_JSON >> 20));
    }
    // serde would also take an array for the struct; Periscope writes objects.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(format!("not a JSON object; {EXPECTED}"));
    }
    let wrapped: Wrapped = serde_json::from_slice(&bytes).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Data => "wrong JSON",
            _ => "invalid JSON",
        };
        for_terminal(&format!("{what} ({e}); {EXPECTED}")).into_owned()
    })?;
    let field = |value: Option<String>, name: &str| match value {
        Some(v) => Ok(v),
        None => Err(format!("no `{name}` field; {EXPECTED}")),
    };
    let pod = field(wrapped.name, "name")?;
    let container = field(wrapped.container_name, "containerName")?;
    let log = field(wrapped.container_log, "containerLog")?;
    if pod.is_empty() {
        return Err(format!("an empty `name`; {EXPECTED}"));
    }
    Ok(ContainerLog {
        pod,
        container,
        log,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<ContainerLog, String> {
        container_log(&mut text.as_bytes())
    }

    #[test]
    fn an_entry_gives_its_pod_container_and_log() {
        // As Go's json.Marshal writes it: `<`, `>`, `&` escaped, `age` in ns.
        let entry = r#"{"name":"httpbin-gateway-istio-6d9f7c8b5d-x2kqz","ready":"0/1","status":"Running","restart":0,"age":754000000000,"containerName":"istio-proxy","containerLog":"2025-08-26T09:59:58.100111Z\tinfo\tFLAG: --concurrency=\"2\"\n\u003cnil\u003e \u0026 done\n"}"#;
        assert_eq!(
            read(entry),
            Ok(ContainerLog {
                pod: "httpbin-gateway-istio-6d9f7c8b5d-x2kqz".into(),
                container: "istio-proxy".into(),
                log: "2025-08-26T09:59:58.100111Z\tinfo\tFLAG: --concurrency=\"2\"\n<nil> & done\n"
                    .into(),
            })
        );
        // An empty log (a container that printed nothing) is still a log.
        let quiet =
            r#"{"name":"coredns-789789675-7xq2k","containerName":"coredns","containerLog":""}"#;
        assert_eq!(read(quiet).unwrap().log, "");
    }

    #[test]
    fn malformed_entries_say_what_was_expected() {
        let truncated =
            r#"{"name":"httpbin-gateway-istio-6d9f7c8b5d-x2kqz","containerName":"istio-pro"#;
        let e = read(truncated).unwrap_err();
        assert!(e.starts_with("invalid JSON (EOF while parsing"), "{e}");
        assert!(e.contains("`containerLog`"), "{e}");

        let missing = r#"{"name":"httpbin-gateway-istio-6d9f7c8b5d-x2kqz","ready":"1/1","containerName":"istio-proxy"}"#;
        let e = read(missing).unwrap_err();
        assert!(e.starts_with("no `containerLog` field; expected"), "{e}");

        let e = read(r#"{"containerName":"istio-proxy","containerLog":"x"}"#).unwrap_err();
        assert!(e.starts_with("no `name` field"), "{e}");
        let e =
            read(r#"{"name":"","containerName":"istio-proxy","containerLog":"x"}"#).unwrap_err();
        assert!(e.starts_with("an empty `name`"), "{e}");

        // A wrong type, and a plain log where the JSON should be.
        let e = read(r#"{"name":"p","containerName":"c","containerLog":42}"#).unwrap_err();
        assert!(
            e.starts_with("wrong JSON (invalid type: integer `42`, expected a string"),
            "{e}"
        );
        for plain in [
            "2025-08-26T10:00:04.501777Z\terror\tenvoy config\n",
            "[2025-08-26T10:31:02.411Z] \"GET / HTTP/1.1\" 404 NR\n",
            r#"["httpbin-gateway-istio-6d9f7c8b5d-x2kqz","istio-proxy","log"]"#,
            "",
        ] {
            let e = read(plain).unwrap_err();
            assert!(e.starts_with("not a JSON object; expected"), "{e}");
        }
    }

    #[test]
    fn errors_are_safe_for_a_terminal() {
        // Escape sequences raw and escaped in JSON, where serde stops reading.
        for entry in [
            "{\"name\":\"\u{1b}]0;pwned\u{7}\u{1b}[2J\"}",
            r#"{"name":"\u001b]0;pwned\u0007","containerName":{"\u001b[2J":1}}"#,
            r#"{"name":"p","containerName":"c","containerLog":"x","name":"\u001b[2J"}"#,
            "\u{1b}[2J{}",
        ] {
            let e = read(entry).unwrap_err();
            assert!(!e.chars().any(|c| c.is_control()), "{e:?}");
        }
    }

    #[test]
    fn oversized_entries_are_refused() {
        let mut big = std::io::repeat(b' ').take(MAX_JSON + 10);
        let e = container_log(&mut big).unwrap_err();
        assert!(e.starts_with("larger than 64 MiB;"), "{e}");
    }
}
