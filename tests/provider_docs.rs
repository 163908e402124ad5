//! docs/providers/<name>.md are generated from the providers' schemas; this test fails when
//! one is stale. Regenerate them with `GGPLAN_UPDATE_DOCS=1 cargo test --test provider_docs`.

use ggplan::render::schema_doc::provider_page;
use std::path::Path;

#[test]
fn provider_reference_pages_match_the_schemas() {
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/providers");
    let update = std::env::var_os("GGPLAN_UPDATE_DOCS").is_some();
    let mut stale = Vec::new();
    for (name, schema) in ggplan::cli::registry().schemas() {
        let path = docs.join(format!("{name}.md"));
        let page = provider_page(name, &schema);
        if update {
            std::fs::create_dir_all(&docs).unwrap();
            std::fs::write(&path, &page).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(page.as_str()) {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "stale provider docs: {stale:?}; run GGPLAN_UPDATE_DOCS=1 cargo test --test provider_docs"
    );
}
