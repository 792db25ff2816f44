use std::io::Write;

use super::*;

/// Reads a bundle; returns (path, content) of each entry and the problems.
fn entries(path: &Path) -> (Vec<(String, String)>, Vec<BundleProblem>) {
    let mut seen = Vec::new();
    let mut problems = Vec::new();
    read(
        path,
        &mut |e, r| {
            let mut text = String::new();
            r.read_to_string(&mut text).unwrap();
            seen.push((e.path.clone(), text));
        },
        &mut |p| problems.push(p),
    )
    .unwrap();
    (seen, problems)
}

/// A tar entry header with a raw name (the tar crate refuses `..` and
/// absolute names when building, as it should: bundles may not).
fn raw_header(name: &str, size: usize, kind: tar::EntryType) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
    h.set_size(size as u64);
    h.set_entry_type(kind);
    h.set_mode(0o644);
    h.set_cksum();
    h
}

fn tar_bytes() -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, body) in [
        ("bug-report/proxies/default/gw/istio-proxy.log", "line 1\n"),
        ("bug-report/cluster/events", "events\n"),
    ] {
        b.append(
            &raw_header(name, body.len(), tar::EntryType::Regular),
            body.as_bytes(),
        )
        .unwrap();
    }
    b.append(
        &raw_header("../../etc/passwd", 4, tar::EntryType::Regular),
        &b"root"[..],
    )
    .unwrap();
    b.append(
        &raw_header("/etc/shadow", 4, tar::EntryType::Regular),
        &b"root"[..],
    )
    .unwrap();
    let mut link = raw_header("bug-report/link", 0, tar::EntryType::Symlink);
    link.set_link_name("/etc/passwd").unwrap();
    link.set_cksum();
    b.append(&link, &b""[..]).unwrap();
    b.into_inner().unwrap()
}

#[test]
fn tar_and_tar_gz_entries_stream_and_unsafe_ones_are_skipped_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let tar_path = dir.path().join("b.tar");
    std::fs::write(&tar_path, tar_bytes()).unwrap();
    let gz_path = dir.path().join("b.tar.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar_bytes()).unwrap();
    std::fs::write(&gz_path, gz.finish().unwrap()).unwrap();
    for path in [&tar_path, &gz_path] {
        assert_ne!(container_of(path).unwrap(), Container::File);
        let (seen, problems) = entries(path);
        assert_eq!(
            seen,
            [
                (
                    "bug-report/proxies/default/gw/istio-proxy.log".to_string(),
                    "line 1\n".to_string()
                ),
                (
                    "bug-report/cluster/events".to_string(),
                    "events\n".to_string()
                ),
            ]
        );
        let said: Vec<(&str, &str)> = problems
            .iter()
            .map(|p| (p.entry.as_str(), p.message.as_str()))
            .collect();
        assert_eq!(said.len(), 3, "{said:?}");
        assert!(
            said[0].0 == "../../etc/passwd" && said[0].1.contains("climbs out"),
            "{said:?}"
        );
        assert!(
            said[1].0 == "/etc/shadow" && said[1].1.contains("absolute"),
            "{said:?}"
        );
        assert!(
            said[2].0 == "bug-report/link" && said[2].1.contains("link"),
            "{said:?}"
        );
    }
}

#[test]
fn a_truncated_archive_keeps_what_came_before_and_says_where_it_broke() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = tar::Builder::new(Vec::new());
    let big = "x".repeat(10_000);
    for name in ["a.log", "b.log", "c.log"] {
        b.append(
            &raw_header(name, big.len(), tar::EntryType::Regular),
            big.as_bytes(),
        )
        .unwrap();
    }
    let bytes = b.into_inner().unwrap();
    let path = dir.path().join("cut.tar");
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let (seen, problems) = entries(&path);
    assert_eq!(seen[0], ("a.log".to_string(), big.clone()));
    assert!(!problems.is_empty(), "the cut is reported");
    assert!(problems.iter().all(|p| p.entry != "-"), "{problems:?}");
    let path = dir.path().join("cut.tar.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&bytes).unwrap();
    let gz = gz.finish().unwrap();
    std::fs::write(&path, &gz[..gz.len() * 2 / 3]).unwrap();
    let (seen, problems) = entries(&path);
    assert_eq!(seen[0].0, "a.log");
    assert!(
        problems.iter().any(|p| p.message.contains("corrupt")),
        "{problems:?}"
    );
}

#[test]
fn zip_entries_are_read_and_bombs_and_escapes_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.zip");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    z.start_file("logs/gw.log", stored).unwrap();
    z.write_all(b"hello\n").unwrap();
    z.start_file("../escape.log", stored).unwrap();
    z.write_all(b"no\n").unwrap();
    z.start_file("zeros.log", deflated).unwrap();
    z.write_all(&vec![0u8; 8 << 20]).unwrap();
    z.finish().unwrap();
    let (seen, problems) = entries(&path);
    assert_eq!(seen, [("logs/gw.log".to_string(), "hello\n".to_string())]);
    let said: Vec<(&str, &str)> = problems
        .iter()
        .map(|p| (p.entry.as_str(), p.message.as_str()))
        .collect();
    assert!(
        said.iter()
            .any(|(e, m)| *e == "../escape.log" && m.contains("leaves the bundle")),
        "{said:?}"
    );
    assert!(
        said.iter()
            .any(|(e, m)| *e == "zeros.log" && m.contains("zip bomb")),
        "{said:?}"
    );
}

#[test]
fn directories_are_walked_in_order_without_following_links() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("ns/pod")).unwrap();
    std::fs::write(dir.path().join("ns/pod/logs.txt"), "a\n").unwrap();
    std::fs::write(dir.path().join("b.log"), "b\n").unwrap();
    std::os::unix::fs::symlink("/etc", dir.path().join("etc")).unwrap();
    let (seen, problems) = entries(dir.path());
    let names: Vec<&str> = seen.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(names, ["b.log", "ns/pod/logs.txt"]);
    assert_eq!(problems.len(), 1);
    assert!(problems[0].entry == "etc" && problems[0].message.contains("not followed"));
}
