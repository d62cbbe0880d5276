//! PDF benchmark (issue 13): the 290 invoices of a national run written as PDF, each the
//! example document (`billing_report::document::example()`, two pages) with its own number
//! and buyer, rendered with `billing_report::pdf::render` and written to a file.
//!
//! ```text
//! cargo bench -p benches --bench pdf
//! ```
//!
//! Measured (2-core machine shared with four other builds, release): 1.27 s for the 290 PDFs
//! (1.26–1.29 s over 10 samples), 4.4 ms an invoice; each PDF is 24 KB (the two DejaVu faces
//! subset to the glyphs used).

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};

use billing_report::document::{example, InvoiceDocument};
use billing_report::pdf::render;

const INVOICES: u64 = 290;

/// 290 documents that differ in number and buyer, so no two PDFs are the same bytes.
fn documents() -> Vec<InvoiceDocument> {
    (0..INVOICES)
        .map(|i| {
            let mut doc = example();
            doc.number = Some(1001 + i);
            doc.buyer.name = format!("Kommun nr {}", i + 1);
            doc
        })
        .collect()
}

fn write_all(docs: &[InvoiceDocument], out: &std::path::Path) -> usize {
    let mut bytes = 0;
    for doc in docs {
        let pdf = render(doc).expect("the example renders");
        let number = doc.number.unwrap_or_default();
        std::fs::write(out.join(format!("faktura-{number}.pdf")), &pdf)
            .expect("the pdf is written");
        bytes += pdf.len();
    }
    bytes
}

fn bench(c: &mut Criterion) {
    let docs = documents();
    let out: PathBuf = Path::new(env!("CARGO_TARGET_TMPDIR")).join("billing-report-pdf-bench");
    std::fs::create_dir_all(&out).expect("the output folder");
    let one = render(&docs[0]).expect("the example renders").len();
    eprintln!("one PDF {one} bytes; the 290 go to {}", out.display());
    let mut group = c.benchmark_group("pdf");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.bench_function("render and write 290 invoices", |b| {
        b.iter(|| black_box(write_all(&docs, &out)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
