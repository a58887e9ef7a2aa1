use std::io::{Cursor, Read};

use super::*;

fn info() -> PackageInfo {
    PackageInfo {
        package_id: "pkg-1".into(),
        from: "Fictional & Partners".into(),
        created_at: "2026-12-05T10:00:00Z".into(),
    }
}

const DOCS: [(&str, &[u8]); 2] = [
    (
        "Letter to Quentin Marbleweather.txt",
        b"Dear Quentin, hello.",
    ),
    ("scan.pdf", b"%PDF-1.4 not really a pdf"),
];

fn entries() -> Vec<Entry> {
    DOCS.iter()
        .map(|(n, b)| Entry {
            name: n.to_string(),
            size: b.len() as u64,
        })
        .collect()
}

fn write(format: &Format, signer: &Signer) -> (Vec<u8>, Written) {
    let mut out = Vec::new();
    let written = write_package(
        &mut out,
        format,
        &info(),
        &entries(),
        signer,
        &mut |i, sink| sink.write_all(DOCS[i].1),
    )
    .unwrap();
    (out, written)
}

fn read_zip(bytes: Vec<u8>, password: Option<&str>) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut out = Vec::new();
    for i in 0..archive.len() {
        let mut f = match password {
            Some(p) => archive.by_index_decrypt(i, p.as_bytes()).unwrap(),
            None => archive.by_index(i).unwrap(),
        };
        let mut body = Vec::new();
        f.read_to_end(&mut body).unwrap();
        out.push((f.name().unwrap().to_string(), body));
    }
    out
}

/// Checks the manifest, its signatures and every file's hash.
fn check_contents(files: &[(String, Vec<u8>)], signer: &Signer) {
    let get = |n: &str| &files.iter().find(|(name, _)| name == n).unwrap().1;
    let manifest: Manifest = serde_json::from_slice(get("MANIFEST.json")).unwrap();
    assert_eq!(manifest.files.len(), 2);
    for (f, (name, body)) in manifest.files.iter().zip(DOCS) {
        assert_eq!(f.path, format!("documents/{name}"));
        assert_eq!(get(&f.path).as_slice(), body);
        assert_eq!(f.sha256, hex::encode(Sha256::digest(body)));
    }
    for name in ["MANIFEST.txt", "MANIFEST.json"] {
        let sig = String::from_utf8(get(&format!("{name}.minisig")).clone()).unwrap();
        let data = get(name).clone();
        assert_eq!(
            verify_signature(&signer.public_key_text(), &sig, &data),
            SignatureCheck::Valid {
                trusted_comment: "matterbox share package pkg-1".into()
            }
        );
        let mut changed = data.clone();
        changed[10] ^= 1;
        assert_eq!(
            verify_signature(&signer.public_key_text(), &sig, &changed),
            SignatureCheck::Invalid
        );
    }
    let text = String::from_utf8(get("MANIFEST.txt").clone()).unwrap();
    assert!(text.contains(&format!(
        "minisign -Vm MANIFEST.txt -P {}",
        signer.public_key_text()
    )));
}

#[test]
fn an_age_passphrase_package_opens_with_the_passphrase_only() {
    let signer = Signer::generate().unwrap();
    let format = Format::AgePassphrase(Passphrase::danger_from_text("alpha-beta-gamma-delta-echo"));
    let (bytes, written) = write(&format, &signer);
    assert_eq!(
        written.package_sha256.as_slice(),
        Sha256::digest(&bytes).as_slice()
    );
    assert_eq!(written.package_size, bytes.len() as u64);
    assert!(
        !bytes.windows(8).any(|w| w == b"Quentin "),
        "no name in clear"
    );

    let decrypt = |pass: &str| -> Option<Vec<u8>> {
        let d = age::Decryptor::new(&bytes[..]).unwrap();
        let id = age::scrypt::Identity::new(pass.to_owned().into());
        let mut r = d.decrypt(std::iter::once(&id as &dyn age::Identity)).ok()?;
        let mut out = Vec::new();
        r.read_to_end(&mut out).ok()?;
        Some(out)
    };
    assert!(decrypt("alpha-beta-gamma-delta-wrong").is_none());
    let inner = decrypt("alpha-beta-gamma-delta-echo").unwrap();
    check_contents(&read_zip(inner, None), &signer);
}

#[test]
fn an_age_recipient_package_opens_with_the_identity() {
    let signer = Signer::generate().unwrap();
    let identity = age::x25519::Identity::generate();
    let format = Format::AgeRecipient(parse_recipient(&identity.to_public().to_string()).unwrap());
    let (bytes, _) = write(&format, &signer);
    let d = age::Decryptor::new(&bytes[..]).unwrap();
    let mut r = d
        .decrypt(std::iter::once(&identity as &dyn age::Identity))
        .unwrap();
    let mut inner = Vec::new();
    r.read_to_end(&mut inner).unwrap();
    check_contents(&read_zip(inner, None), &signer);
}

#[test]
fn a_zip_package_needs_the_password_and_can_hide_names() {
    let signer = Signer::generate().unwrap();
    let format = Format::Zip {
        password: Passphrase::danger_from_text("correct horse"),
        hide_names: false,
    };
    let (bytes, _) = write(&format, &signer);
    check_contents(&read_zip(bytes.clone(), Some("correct horse")), &signer);
    assert!(
        bytes.windows(7).any(|w| w == b"Quentin"),
        "names show in a plain zip"
    );
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    assert!(archive.by_index_decrypt(0, b"wrong").is_err());

    let hidden = Format::Zip {
        password: Passphrase::danger_from_text("correct horse"),
        hide_names: true,
    };
    let (bytes, _) = write(&hidden, &signer);
    assert!(!bytes.windows(7).any(|w| w == b"Quentin"), "names hidden");
    let outer = read_zip(bytes, Some("correct horse"));
    assert_eq!(outer.len(), 1);
    assert_eq!(outer[0].0, HIDDEN_ARCHIVE);
    check_contents(&read_zip(outer[0].1.clone(), None), &signer);
}

#[test]
fn the_signing_key_survives_storage() {
    let signer = Signer::generate().unwrap();
    let again = Signer::from_secret_bytes(&signer.secret_bytes()).unwrap();
    assert_eq!(again.public_key_text(), signer.public_key_text());
    let sig = again.sign(b"data", "p").unwrap();
    assert!(matches!(
        verify_signature(&signer.public_key_text(), &sig, b"data"),
        SignatureCheck::Valid { .. }
    ));
    assert!(Signer::from_secret_bytes(b"short").is_err());
}

#[test]
fn content_unlike_its_recorded_size_fails_the_package() {
    let signer = Signer::generate().unwrap();
    let format = Format::AgePassphrase(Passphrase::danger_from_text("a-b-c-d-e"));
    let err = write_package(
        Vec::new(),
        &format,
        &info(),
        &entries(),
        &signer,
        &mut |_, sink| sink.write_all(b"short"),
    )
    .unwrap_err();
    assert!(matches!(err, ShareError::SizeMismatch { .. }));
}

#[test]
fn names_in_a_package_are_safe_and_unique() {
    let check = |wanted: &[&str], expect: &[&str]| {
        let wanted: Vec<String> = wanted.iter().map(|s| s.to_string()).collect();
        assert_eq!(package_names(&wanted), expect);
    };
    check(
        &["a.pdf", "A.pdf", "a.pdf"],
        &["a.pdf", "A (2).pdf", "a (3).pdf"],
    );
    check(
        &["../etc/passwd", ".hidden", ""],
        &["_etc_passwd", "hidden", "document"],
    );
    check(&["c:\\x\ny"], &["c__x_y"]);
    check(&["noext", "noext"], &["noext", "noext (2)"]);
    let format = Format::AgePassphrase(Passphrase::danger_from_text("a-b-c-d-e"));
    let bad = [Entry {
        name: "../x".into(),
        size: 0,
    }];
    assert!(
        write_package(
            Vec::new(),
            &format,
            &info(),
            &bad,
            &Signer::generate().unwrap(),
            &mut |_, _| Ok(())
        )
        .is_err()
    );
}

#[test]
fn fingerprints_are_short_and_stable() {
    let r =
        parse_recipient("age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p").unwrap();
    let f = recipient_fingerprint(&r);
    assert_eq!(f.len(), 19);
    assert_eq!(f, recipient_fingerprint(&r));
    assert!(parse_recipient("age1nonsense").is_err());
}

#[test]
fn extras_are_written_at_the_root_and_listed_in_the_manifest() {
    let signer = Signer::generate().unwrap();
    let format = Format::AgePassphrase(Passphrase::danger_from_text("a-b-c-d-e"));
    let extras = [Extra {
        name: "INDEX.csv".into(),
        body: b"title\nLetter\n".to_vec(),
    }];
    let mut out = Vec::new();
    let written = write_package_with(
        &mut out,
        &format,
        &info(),
        &entries(),
        &extras,
        &signer,
        &mut |i, sink| sink.write_all(DOCS[i].1),
    )
    .unwrap();
    let listed: Vec<&str> = written
        .manifest
        .files
        .iter()
        .map(|f| f.path.as_str())
        .collect();
    assert_eq!(
        listed,
        [
            "documents/Letter to Quentin Marbleweather.txt",
            "documents/scan.pdf",
            "INDEX.csv"
        ]
    );
    assert_eq!(
        written.manifest.files[2].sha256,
        hex::encode(Sha256::digest(b"title\nLetter\n"))
    );
    let d = age::Decryptor::new(&out[..]).unwrap();
    let id = age::scrypt::Identity::new("a-b-c-d-e".to_owned().into());
    let mut r = d
        .decrypt(std::iter::once(&id as &dyn age::Identity))
        .unwrap();
    let mut inner = Vec::new();
    r.read_to_end(&mut inner).unwrap();
    let files = read_zip(inner, None);
    assert!(
        files
            .iter()
            .any(|(n, b)| n == "INDEX.csv" && b == b"title\nLetter\n")
    );

    let clash = [Extra {
        name: "MANIFEST.txt".into(),
        body: Vec::new(),
    }];
    assert!(
        write_package_with(
            Vec::new(),
            &format,
            &info(),
            &entries(),
            &clash,
            &signer,
            &mut |i, sink| sink.write_all(DOCS[i].1)
        )
        .is_err()
    );
}

/// Deflating PDFs and scans made packaging about ten times slower than
/// `age` and saved nothing: they are stored; text is still deflated.
#[test]
fn compressed_documents_are_stored_and_text_is_deflated() {
    let signer = Signer::generate().unwrap();
    let format = Format::Zip {
        password: Passphrase::danger_from_text("correct horse"),
        hide_names: false,
    };
    let (bytes, _) = write(&format, &signer);
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let method = |archive: &mut zip::ZipArchive<_>, name: &str| {
        archive
            .by_name_decrypt(name, b"correct horse")
            .unwrap()
            .compression()
    };
    assert_eq!(
        method(&mut archive, "documents/scan.pdf"),
        zip::CompressionMethod::Stored
    );
    assert_eq!(
        method(
            &mut archive,
            "documents/Letter to Quentin Marbleweather.txt"
        ),
        zip::CompressionMethod::Deflated
    );
    assert_eq!(
        method(&mut archive, "MANIFEST.json"),
        zip::CompressionMethod::Deflated
    );
}
