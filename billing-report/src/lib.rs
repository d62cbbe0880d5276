//! `billing-report`: reads the finance officer's workbook (xlsx, ods or a folder of CSV files),
//! validates it, computes through `billing-core`, and writes invoices (xlsx, csv, json) and
//! explanations. The binary in `main.rs` is a thin command-line layer over this library.

pub mod audit;
pub mod compute;
pub mod document;
pub mod html;
pub mod input;
pub mod model;
pub mod output;
pub mod pdf;
pub mod register;
pub mod sie;
pub mod template;
pub mod transactions;
pub mod ubl;
pub mod verify;
pub mod workbook;
