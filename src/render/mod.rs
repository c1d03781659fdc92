//! Breakdowns as output: every command's result is a plain serialisable struct (its JSON form, numbers
//! in base units) that also builds a [`Report`] — headline figures and tables of typed cells — which
//! renders as text for people or CSV for scripts. One result feeds every format, so they cannot
//! disagree.

pub mod audit;
pub mod chart;
pub mod chinchilla;
pub mod compare;
pub mod flops;
pub mod gpus;
pub mod image;
pub mod memory;
pub mod mfu;
pub mod models;
pub mod params;
pub mod plan;
pub mod serve;
pub mod train;

use serde::Serialize;
use tabled::builder::Builder;
use tabled::settings::object::{Columns, Rows};
use tabled::settings::{Alignment, Modify, Style};

use crate::domain::units::format;
use crate::domain::units::unit::{
    byte, byte_per_second, dollar, dollar_per_second, flop, flop_per_second, joule, second, watt,
};
use crate::domain::units::{
    Bandwidth, Compute, ComputeRate, Energy, Information, Money, MoneyRate, Power, Time,
};

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned text tables, for people.
    Table,
    /// JSON, numbers in base units (count, FLOP, s, bytes, USD).
    Json,
    /// CSV of the breakdown table, numbers in base units.
    Csv,
    /// The report as Markdown (GitHub tables), for pasting into documents.
    Markdown,
}

/// A value in a report, kept typed until it is rendered.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Text(String),
    /// A number already formatted with its unit; aligned as a number.
    Value(String),
    /// A count printed with a suffix (`6.74 B`).
    Count(f64),
    /// A count printed in full (`6,738,415,616`).
    Exact(u64),
    Flop(Compute),
    /// Bytes, printed with a binary prefix (`13.5 GiB`); raw in bytes.
    Bytes(Information),
    /// A duration (`1.2 ms`, `95 days`); raw in seconds.
    Time(Time),
    /// An amount of money (`$63.0M`); raw in US dollars.
    Money(Money),
    /// A price per GPU-hour (`$2.00/h`); raw in US dollars per second.
    Price(MoneyRate),
    /// A bandwidth (`3.35 TB/s`); raw in bytes per second.
    Bandwidth(Bandwidth),
    /// A compute rate (`989 TFLOP/s`); raw in FLOP per second.
    Rate(ComputeRate),
    /// Energy (`1.2 GWh`); raw in joules.
    Energy(Energy),
    /// Power (`700 W`); raw in watts.
    Power(Power),
    /// A ratio printed with three decimals.
    Ratio(f64),
    Percent(f64),
    Empty,
}

impl Cell {
    /// The cell for people.
    pub fn human(&self) -> String {
        match self {
            Cell::Text(text) | Cell::Value(text) => text.clone(),
            Cell::Count(n) => format::count(*n),
            Cell::Exact(n) => format::exact(*n),
            Cell::Flop(c) => format::compute(*c),
            Cell::Bytes(b) => format::bytes(*b),
            Cell::Time(t) => format::time(*t),
            Cell::Money(m) => format::money(*m),
            Cell::Price(p) => format::money_rate(*p),
            Cell::Bandwidth(b) => format::bandwidth(*b),
            Cell::Rate(r) => format::compute_rate(*r),
            Cell::Energy(e) => format::energy(*e),
            Cell::Power(p) => format::power(*p),
            Cell::Ratio(r) if *r != 0.0 && !(0.001..1000.0).contains(&r.abs()) => {
                format!("{r:.2e}")
            }
            Cell::Ratio(r) => format::sig3(*r),
            Cell::Percent(p) => format::percent(*p),
            Cell::Empty => "-".into(),
        }
    }

    /// The cell for scripts: base units, full precision.
    pub fn raw(&self) -> String {
        match self {
            Cell::Text(text) | Cell::Value(text) => text.clone(),
            Cell::Count(n) | Cell::Ratio(n) | Cell::Percent(n) => n.to_string(),
            Cell::Exact(n) => n.to_string(),
            Cell::Flop(c) => c.get::<flop>().to_string(),
            Cell::Bytes(b) => b.get::<byte>().to_string(),
            Cell::Time(t) => t.get::<second>().to_string(),
            Cell::Money(m) => m.get::<dollar>().to_string(),
            Cell::Price(p) => p.get::<dollar_per_second>().to_string(),
            Cell::Bandwidth(b) => b.get::<byte_per_second>().to_string(),
            Cell::Rate(r) => r.get::<flop_per_second>().to_string(),
            Cell::Energy(e) => e.get::<joule>().to_string(),
            Cell::Power(p) => p.get::<watt>().to_string(),
            Cell::Empty => String::new(),
        }
    }

    /// Rewrites the text of a text cell; other cells are kept.
    pub fn map_text(self, f: impl FnOnce(String) -> String) -> Cell {
        match self {
            Cell::Text(text) => Cell::Text(f(text)),
            Cell::Value(text) => Cell::Value(f(text)),
            other => other,
        }
    }

    fn is_numeric(&self) -> bool {
        !matches!(self, Cell::Text(_) | Cell::Empty)
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Cell {
        Cell::Text(text.to_string())
    }
}

impl From<String> for Cell {
    fn from(text: String) -> Cell {
        Cell::Text(text)
    }
}

/// A column: its heading for people and its CSV name (a documented interface).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Column {
    pub heading: &'static str,
    pub csv: &'static str,
}

/// A table of typed cells.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// An empty table with the given (heading, CSV name) columns.
    pub fn new(columns: &[(&'static str, &'static str)]) -> Table {
        Table {
            columns: columns
                .iter()
                .map(|&(heading, csv)| Column { heading, csv })
                .collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row; it must have one cell per column.
    pub fn push(&mut self, row: Vec<Cell>) {
        debug_assert_eq!(row.len(), self.columns.len());
        self.rows.push(row);
    }

    /// The table for people: numbers right-aligned.
    pub fn to_text(&self) -> String {
        let mut builder = Builder::default();
        builder.push_record(self.columns.iter().map(|c| c.heading));
        for row in &self.rows {
            builder.push_record(row.iter().map(Cell::human));
        }
        let mut table = builder.build();
        table.with(Style::sharp());
        for (i, _) in self.columns.iter().enumerate() {
            if self.rows.iter().any(|row| row[i].is_numeric()) {
                table.with(Modify::new(Columns::one(i)).with(Alignment::right()));
            }
        }
        table.with(Modify::new(Rows::first()).with(Alignment::left()));
        table.to_string()
    }

    /// The table in Markdown (GitHub-flavoured): numbers right-aligned, `|` escaped.
    pub fn to_markdown(&self) -> String {
        let cell = |text: String| text.replace('|', "\\|");
        let mut out = format!(
            "| {} |\n|{}\n",
            self.columns
                .iter()
                .map(|c| cell(c.heading.to_string()))
                .collect::<Vec<_>>()
                .join(" | "),
            self.columns
                .iter()
                .enumerate()
                .map(|(i, _)| {
                    if self.rows.iter().any(|row| row[i].is_numeric()) {
                        "---:|"
                    } else {
                        "---|"
                    }
                })
                .collect::<String>()
        );
        for row in &self.rows {
            out.push_str(&format!(
                "| {} |\n",
                row.iter()
                    .map(|c| cell(c.human()))
                    .collect::<Vec<_>>()
                    .join(" | ")
            ));
        }
        out
    }

    /// The table as CSV (RFC 4180 quoting), numbers in base units.
    pub fn to_csv(&self) -> String {
        let mut out = String::new();
        let line = |cells: Vec<String>| {
            cells
                .iter()
                .map(|c| csv_field(c))
                .collect::<Vec<_>>()
                .join(",")
                + "\n"
        };
        out.push_str(&line(
            self.columns.iter().map(|c| c.csv.to_string()).collect(),
        ));
        for row in &self.rows {
            out.push_str(&line(row.iter().map(Cell::raw).collect()));
        }
        out
    }
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// A part of a report.
#[derive(Clone, Debug, PartialEq)]
pub enum Section {
    /// A line of text.
    Line(String),
    /// Labelled headline figures, one per line: label, value, and an optional remark.
    Facts(Vec<(String, Cell, String)>),
    /// A titled table.
    Table { title: String, table: Table },
}

/// What a command prints: sections for people, and the one table CSV output carries.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub sections: Vec<Section>,
    /// The breakdown that `--format csv` prints.
    pub csv: Table,
}

impl Report {
    /// The report for people.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for section in &self.sections {
            if !out.is_empty() {
                out.push('\n');
            }
            match section {
                Section::Line(text) => {
                    out.push_str(text);
                    out.push('\n');
                }
                Section::Facts(facts) => {
                    let label_width = facts.iter().map(|(l, _, _)| l.chars().count()).max();
                    let values: Vec<String> = facts.iter().map(|(_, v, _)| v.human()).collect();
                    let value_width = values.iter().map(|v| v.chars().count()).max();
                    for ((label, _, remark), value) in facts.iter().zip(&values) {
                        let line = format!(
                            "{label:<lw$}  {value:>vw$}  {remark}",
                            lw = label_width.unwrap_or(0),
                            vw = value_width.unwrap_or(0)
                        );
                        out.push_str(line.trim_end());
                        out.push('\n');
                    }
                }
                Section::Table { title, table } => {
                    out.push_str(title);
                    out.push('\n');
                    out.push_str(&table.to_text());
                    out.push('\n');
                }
            }
        }
        out
    }
}

impl Report {
    /// The report in Markdown: lines as paragraphs, headline figures and tables as tables.
    pub fn to_markdown(&self) -> String {
        let mut parts = Vec::new();
        for section in &self.sections {
            parts.push(match section {
                Section::Line(text) => text.lines().collect::<Vec<_>>().join("  \n") + "\n",
                Section::Facts(facts) => {
                    let mut table = Table::new(&[("", ""), ("value", ""), ("", "")]);
                    for (label, value, remark) in facts {
                        table.push(vec![
                            Cell::Text(label.clone()),
                            value.clone(),
                            Cell::Text(remark.clone()),
                        ]);
                    }
                    table.to_markdown()
                }
                Section::Table { title, table } => {
                    format!("**{title}**\n\n{}", table.to_markdown())
                }
            });
        }
        parts.join("\n")
    }
}

/// A range printed with `show` at each end, or one value.
pub fn range<T: Copy + PartialEq>(
    b: crate::domain::units::Bounds<T>,
    show: impl Fn(T) -> String,
) -> String {
    if b.is_exact() {
        show(b.low)
    } else {
        format!("{} .. {}", show(b.low), show(b.high))
    }
}

/// Renders a command's result in the chosen format.
pub fn render<T: Serialize>(
    result: &T,
    report: impl FnOnce(&T) -> Report,
    format: Format,
) -> String {
    match format {
        Format::Table => report(result).to_text(),
        Format::Csv => report(result).csv.to_csv(),
        Format::Markdown => report(result).to_markdown(),
        Format::Json => {
            // Serialising plain structs of numbers, strings and vectors cannot fail.
            let mut json = serde_json::to_string_pretty(result).expect("result serialises");
            json.push('\n');
            json
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_quoting() {
        let mut table = Table::new(&[("Name", "name"), ("Count", "count")]);
        table.push(vec![Cell::from("a, \"b\""), Cell::Exact(3)]);
        assert_eq!(table.to_csv(), "name,count\n\"a, \"\"b\"\"\",3\n");
    }

    #[test]
    fn typed_cells_print_with_their_unit_and_raw_in_base_units() {
        // 80 GiB = 80 × 2^30 bytes; one hour = 3,600 s; $2/h = 2/3600 $/s.
        let gib = Cell::Bytes(Information::new::<byte>(80.0 * 1_073_741_824.0));
        assert_eq!(gib.raw(), "85899345920");
        assert!(gib.human().contains("GiB"), "{}", gib.human());
        assert_eq!(Cell::Time(Time::new::<second>(3600.0)).raw(), "3600");
        let price = Cell::Price(MoneyRate::new::<dollar_per_second>(2.0 / 3600.0));
        assert!((price.raw().parse::<f64>().unwrap() - 2.0 / 3600.0).abs() < 1e-15);
    }

    #[test]
    fn markdown_tables() {
        let mut table = Table::new(&[("name", "name"), ("count", "count")]);
        table.push(vec![Cell::from("a|b"), Cell::Exact(1234)]);
        assert_eq!(
            table.to_markdown(),
            "| name | count |\n|---|---:|\n| a\\|b | 1,234 |\n"
        );
    }
}
