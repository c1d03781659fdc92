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
use tabled::settings::peaker::PriorityMax;
use tabled::settings::{Alignment, Modify, Style, Width};

use crate::app::price::PriceOrigin;
use crate::domain::hardware::PriceKind;
use crate::domain::training::PriceSource;
use crate::domain::units::format;
use crate::domain::units::unit::{
    byte, byte_per_second, dollar, dollar_per_hour, dollar_per_second, flop, flop_per_second,
    joule, second, watt,
};
use crate::domain::units::{
    Bandwidth, Bounds, Compute, ComputeRate, Energy, Information, Money, MoneyRate, Power, Time,
};
use crate::error::{Error, Result};

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

/// How a result is printed: the format, and the width tables must fit (`None`: as wide as they are).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Output {
    pub format: Format,
    pub width: Option<usize>,
}

impl From<Format> for Output {
    fn from(format: Format) -> Output {
        Output {
            format,
            width: None,
        }
    }
}

/// A value in a report, kept typed until it is rendered: [`Cell::human`] for people,
/// [`Cell::raw`] for CSV in base units.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Text(String),
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
    /// A number with three significant digits followed by its unit as written (`""`, `"×"`,
    /// `" days"`); raw, the number in that unit.
    Number(f64, &'static str),
    /// A number with a fixed count of decimals (`2.031` for a loss); raw, the number.
    Decimal(f64, usize),
    /// US dollars with a fixed count of decimals (`$2.00`, `$0.002125`), for prices per GPU-hour and
    /// per-token costs; raw, the number of dollars.
    Dollars(f64, usize),
    /// A range, `low .. high` for people; raw `low..high` (a column can also split it, see [`Csv`]).
    Range(Box<Cell>, Box<Cell>),
    /// A cell followed by a remark for people (`?` for an uncertain value, ` (claimed)`); raw, the
    /// cell's own.
    Note(Box<Cell>, String),
    Empty,
}

impl Cell {
    /// A range of cells, or one cell when both ends are equal.
    pub fn range<T: Copy + PartialEq>(b: Bounds<T>, cell: impl Fn(T) -> Cell) -> Cell {
        if b.is_exact() {
            cell(b.low)
        } else {
            Cell::Range(Box::new(cell(b.low)), Box::new(cell(b.high)))
        }
    }

    /// This cell followed by `note` for people.
    pub fn note(self, note: impl Into<String>) -> Cell {
        Cell::Note(Box::new(self), note.into())
    }

    /// The low end of a range; any other cell is its own low end.
    pub fn low(&self) -> &Cell {
        match self {
            Cell::Range(low, _) => low,
            other => other,
        }
    }

    /// The high end of a range; any other cell is its own high end.
    pub fn high(&self) -> &Cell {
        match self {
            Cell::Range(_, high) => high,
            other => other,
        }
    }

    /// The cell for people.
    pub fn human(&self) -> String {
        match self {
            Cell::Text(text) => text.clone(),
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
            Cell::Number(n, unit) => format!("{}{unit}", format::sig3(*n)),
            Cell::Decimal(n, decimals) => format!("{n:.decimals$}"),
            Cell::Dollars(n, decimals) => format!("${n:.decimals$}"),
            Cell::Range(low, high) => format!("{} .. {}", low.human(), high.human()),
            Cell::Note(cell, note) => format!("{}{note}", cell.human()),
            Cell::Empty => "-".into(),
        }
    }

    /// The cell for scripts: base units, full precision.
    pub fn raw(&self) -> String {
        match self {
            Cell::Text(text) => text.clone(),
            Cell::Count(n)
            | Cell::Ratio(n)
            | Cell::Percent(n)
            | Cell::Number(n, _)
            | Cell::Decimal(n, _)
            | Cell::Dollars(n, _) => tidy(*n),
            Cell::Exact(n) => n.to_string(),
            Cell::Flop(c) => tidy(c.get::<flop>()),
            Cell::Bytes(b) => tidy(b.get::<byte>()),
            Cell::Time(t) => tidy(t.get::<second>()),
            Cell::Money(m) => tidy(m.get::<dollar>()),
            Cell::Price(p) => tidy(p.get::<dollar_per_second>()),
            Cell::Bandwidth(b) => tidy(b.get::<byte_per_second>()),
            Cell::Rate(r) => tidy(r.get::<flop_per_second>()),
            Cell::Energy(e) => tidy(e.get::<joule>()),
            Cell::Power(p) => tidy(p.get::<watt>()),
            Cell::Range(low, high) => format!("{}..{}", low.raw(), high.raw()),
            Cell::Note(cell, _) => cell.raw(),
            Cell::Empty => String::new(),
        }
    }

    /// Whether the cell holds a number that is not finite (NaN or infinite).
    fn is_non_finite(&self) -> bool {
        let number = match self {
            Cell::Text(_) | Cell::Empty | Cell::Exact(_) => return false,
            Cell::Range(low, high) => return low.is_non_finite() || high.is_non_finite(),
            Cell::Note(cell, _) => return cell.is_non_finite(),
            Cell::Count(n)
            | Cell::Ratio(n)
            | Cell::Percent(n)
            | Cell::Number(n, _)
            | Cell::Decimal(n, _)
            | Cell::Dollars(n, _) => *n,
            Cell::Flop(c) => c.value,
            Cell::Bytes(b) => b.value,
            Cell::Time(t) => t.value,
            Cell::Money(m) => m.value,
            Cell::Price(p) => p.value,
            Cell::Bandwidth(b) => b.value,
            Cell::Rate(r) => r.value,
            Cell::Energy(e) => e.value,
            Cell::Power(p) => p.value,
        };
        !number.is_finite()
    }

    fn is_numeric(&self) -> bool {
        match self {
            Cell::Text(_) | Cell::Empty => false,
            Cell::Range(low, _) => low.is_numeric(),
            Cell::Note(cell, _) => cell.is_numeric(),
            _ => true,
        }
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

/// How a column appears in CSV, whose column names are a documented interface.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Csv {
    /// Not in CSV: a column for people only.
    Omit,
    /// One column of raw cells (a range as `low..high`).
    Raw(&'static str),
    /// One column holding the low end of each range.
    Low(&'static str),
    /// Two columns: the low and the high end of each range (both the value for a single value).
    Split(&'static str, &'static str),
}

/// A column: its heading for people (`None`: the column is for CSV only) and its CSV form.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Column {
    pub heading: Option<&'static str>,
    pub csv: Csv,
}

impl Column {
    /// A column for people and CSV.
    pub fn new(heading: &'static str, csv: &'static str) -> Column {
        Column {
            heading: Some(heading),
            csv: Csv::Raw(csv),
        }
    }

    /// A column people see and CSV leaves out.
    pub fn people(heading: &'static str) -> Column {
        Column {
            heading: Some(heading),
            csv: Csv::Omit,
        }
    }

    /// A column in CSV only.
    pub fn csv(name: &'static str) -> Column {
        Column {
            heading: None,
            csv: Csv::Raw(name),
        }
    }

    /// A column of ranges, of which CSV carries the low end.
    pub fn low(heading: &'static str, csv: &'static str) -> Column {
        Column {
            heading: Some(heading),
            csv: Csv::Low(csv),
        }
    }

    /// A column of ranges, which CSV splits into a low and a high column.
    pub fn split(heading: &'static str, low: &'static str, high: &'static str) -> Column {
        Column {
            heading: Some(heading),
            csv: Csv::Split(low, high),
        }
    }
}

/// A table of typed cells.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
    /// Columns people can do without, by index, the first to leave first when the table is too wide
    /// for the terminal; JSON and CSV keep them.
    pub optional: Vec<usize>,
}

impl Table {
    /// An empty table with the given (heading, CSV name) columns, each for people and CSV.
    pub fn new(columns: &[(&'static str, &'static str)]) -> Table {
        Table::with_columns(
            columns
                .iter()
                .map(|&(heading, csv)| Column::new(heading, csv))
                .collect(),
        )
    }

    /// An empty table with the given columns.
    pub fn with_columns(columns: Vec<Column>) -> Table {
        Table {
            columns,
            rows: Vec::new(),
            optional: Vec::new(),
        }
    }

    /// Marks the columns with these headings as ones people can do without, in the order they leave.
    pub fn optional(mut self, headings: &[&str]) -> Table {
        self.optional = headings
            .iter()
            .filter_map(|h| self.columns.iter().position(|c| c.heading == Some(*h)))
            .collect();
        self
    }

    /// Adds a row; it must have one cell per column.
    pub fn push(&mut self, row: Vec<Cell>) {
        debug_assert_eq!(row.len(), self.columns.len());
        self.rows.push(row);
    }

    /// The columns people see: their index and heading.
    fn people_columns(&self) -> Vec<(usize, &'static str)> {
        self.columns
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.heading.map(|h| (i, h)))
            .collect()
    }

    /// Whether column `i` holds numbers, to align it right.
    fn is_numeric(&self, i: usize) -> bool {
        self.rows.iter().any(|row| row[i].is_numeric())
    }

    /// The table for people: numbers right-aligned.
    pub fn to_text(&self) -> String {
        self.to_text_within(None)
    }

    /// The table for people, its widest columns wrapped (between words where it can) until it fits
    /// `width` characters, when given.
    pub fn to_text_within(&self, width: Option<usize>) -> String {
        let mut columns = self.people_columns();
        let mut table = self.build(&columns);
        let Some(width) = width.filter(|&w| table.total_width() > w) else {
            return table.to_string();
        };
        // Wrap text columns at 40 characters, then leave out optional columns while still too wide,
        // then wrap the widest.
        let narrow = |columns: &[(usize, &'static str)]| {
            let mut table = self.build(columns);
            for (shown, &(i, _)) in columns.iter().enumerate() {
                if !self.is_numeric(i) {
                    table.with(
                        Modify::new(Columns::one(shown)).with(Width::wrap(40).keep_words(true)),
                    );
                }
            }
            table
        };
        table = narrow(&columns);
        let mut hidden = Vec::new();
        for &i in &self.optional {
            if table.total_width() <= width {
                break;
            }
            columns.retain(|&(c, _)| c != i);
            hidden.extend(self.columns[i].heading);
            table = narrow(&columns);
        }
        if table.total_width() > width {
            table.with(
                Width::wrap(width)
                    .priority(PriorityMax::right())
                    .keep_words(true),
            );
        }
        let mut text = table.to_string();
        if !hidden.is_empty() {
            text.push_str(&format!(
                "\nnot shown to fit the terminal: {}; --wide shows every column",
                hidden.join(", ")
            ));
        }
        text
    }

    /// The tabled table of `columns`, numbers right-aligned.
    fn build(&self, columns: &[(usize, &'static str)]) -> tabled::Table {
        let mut builder = Builder::default();
        builder.push_record(columns.iter().map(|&(_, heading)| heading));
        for row in &self.rows {
            builder.push_record(columns.iter().map(|&(i, _)| row[i].human()));
        }
        let mut table = builder.build();
        table.with(Style::sharp());
        for (shown, &(i, _)) in columns.iter().enumerate() {
            if self.is_numeric(i) {
                table.with(Modify::new(Columns::one(shown)).with(Alignment::right()));
            }
        }
        table.with(Modify::new(Rows::first()).with(Alignment::left()));
        table
    }

    /// The table in Markdown (GitHub-flavoured): numbers right-aligned, `|` escaped.
    pub fn to_markdown(&self) -> String {
        let columns = self.people_columns();
        let line = |cells: Vec<String>| {
            let cells: Vec<String> = cells.iter().map(|c| c.replace('|', "\\|")).collect();
            format!("| {} |\n", cells.join(" | "))
        };
        let mut out = line(columns.iter().map(|&(_, h)| h.to_string()).collect());
        out.push('|');
        for &(i, _) in &columns {
            out.push_str(if self.is_numeric(i) { "---:|" } else { "---|" });
        }
        out.push('\n');
        for row in &self.rows {
            out.push_str(&line(
                columns.iter().map(|&(i, _)| row[i].human()).collect(),
            ));
        }
        out
    }

    /// The table as CSV (RFC 4180 quoting), numbers in base units.
    pub fn to_csv(&self) -> String {
        let line = |cells: Vec<String>| {
            cells
                .iter()
                .map(|c| csv_field(c))
                .collect::<Vec<_>>()
                .join(",")
                + "\n"
        };
        let mut out = line(
            self.columns
                .iter()
                .flat_map(|c| match c.csv {
                    Csv::Omit => vec![],
                    Csv::Raw(name) | Csv::Low(name) => vec![name],
                    Csv::Split(low, high) => vec![low, high],
                })
                .map(str::to_string)
                .collect(),
        );
        for row in &self.rows {
            let cells = self
                .columns
                .iter()
                .zip(row)
                .flat_map(|(c, cell)| match c.csv {
                    Csv::Omit => vec![],
                    Csv::Raw(_) => vec![cell.raw()],
                    Csv::Low(_) => vec![cell.low().raw()],
                    Csv::Split(..) => vec![cell.low().raw(), cell.high().raw()],
                });
            out.push_str(&line(cells.collect()));
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

/// A price's origin in a word, after its value in a table: `given`, `claim`, the GPU preset's kind
/// (`hyperscaler`, `neocloud`, `reserved`, `claim`; `preset` where the file states none), with `?`
/// where the preset marks the price uncertain. [`PriceOrigin::describe`] says it in full.
pub fn price_tag(origin: &PriceOrigin) -> String {
    let word = match origin.source {
        PriceSource::Given => "given",
        _ => kind_word(origin.kind),
    };
    format!("{word}{}", if origin.uncertain { "?" } else { "" })
}

/// A price's kind in a word, as tables show it; `preset` where the file states none.
pub fn kind_word(kind: Option<PriceKind>) -> &'static str {
    match kind {
        Some(PriceKind::HyperscalerOnDemand) => "hyperscaler",
        Some(PriceKind::NeocloudOnDemand) => "neocloud",
        Some(PriceKind::Reserved) => "reserved",
        Some(PriceKind::Claim) => "claim",
        None => "preset",
    }
}

/// A price per GPU-hour in US dollars, as `$2.00/h`.
pub fn price_per_hour(usd: f64) -> String {
    format::money_rate(MoneyRate::new::<dollar_per_hour>(usd))
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

impl Section {
    /// The `--explain` block: each formula on its line, with its numbers and source.
    pub fn formulas(lines: &[String]) -> Section {
        Section::Line(format!("Formulas\n{}", lines.join("\n")))
    }
}

/// What a command prints: sections for people, of which the first table is the breakdown that
/// `--format csv` prints, unless the report was given its own.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub sections: Vec<Section>,
    /// A breakdown for CSV that is not among the sections: one people are not shown (a table with no
    /// rows, replaced by a line of text).
    csv: Option<Table>,
}

impl Report {
    /// A report whose first table is its CSV breakdown.
    pub fn new(sections: Vec<Section>) -> Report {
        Report {
            sections,
            csv: None,
        }
    }

    /// A report whose CSV breakdown is `csv`, not among the sections.
    pub fn with_csv(sections: Vec<Section>, csv: Table) -> Report {
        Report {
            sections,
            csv: Some(csv),
        }
    }

    /// The breakdown `--format csv` prints, if the report has one.
    pub fn breakdown(&self) -> Option<&Table> {
        self.csv.as_ref().or_else(|| {
            self.sections.iter().find_map(|section| match section {
                Section::Table { table, .. } => Some(table),
                _ => None,
            })
        })
    }

    /// The breakdown as CSV; nothing when the report has no table.
    pub fn to_csv(&self) -> String {
        self.breakdown().map_or(String::new(), Table::to_csv)
    }

    /// The label of the first figure that is not a finite number, or the heading of its column.
    pub fn non_finite(&self) -> Option<String> {
        let in_table = |table: &Table| {
            table.rows.iter().find_map(|row| {
                let i = row.iter().position(Cell::is_non_finite)?;
                let column = &table.columns[i];
                Some(
                    column
                        .heading
                        .map(str::to_string)
                        .or_else(|| match column.csv {
                            Csv::Raw(name) | Csv::Low(name) | Csv::Split(name, _) => {
                                Some(name.to_string())
                            }
                            Csv::Omit => None,
                        })
                        .unwrap_or_default(),
                )
            })
        };
        self.sections
            .iter()
            .find_map(|section| match section {
                Section::Line(_) => None,
                Section::Facts(facts) => facts
                    .iter()
                    .find(|(_, value, _)| value.is_non_finite())
                    .map(|(label, _, _)| label.clone()),
                Section::Table { table, .. } => in_table(table),
            })
            .or_else(|| self.csv.as_ref().and_then(in_table))
    }

    /// The report for people.
    pub fn to_text(&self) -> String {
        self.to_text_within(None)
    }

    /// The report for people, its tables fitted to `width` characters when given.
    pub fn to_text_within(&self, width: Option<usize>) -> String {
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
                Section::Facts(facts) => out.push_str(&facts_text(facts)),
                Section::Table { title, table } => {
                    out.push_str(title);
                    out.push('\n');
                    out.push_str(&table.to_text_within(width));
                    out.push('\n');
                }
            }
        }
        out
    }

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

/// Headline figures for people: labels left-aligned, values right-aligned, then remarks.
fn facts_text(facts: &[(String, Cell, String)]) -> String {
    let label_width = facts.iter().map(|(l, _, _)| l.chars().count()).max();
    let values: Vec<String> = facts.iter().map(|(_, v, _)| v.human()).collect();
    let value_width = values.iter().map(|v| v.chars().count()).max();
    let mut out = String::new();
    for ((label, _, remark), value) in facts.iter().zip(&values) {
        let line = format!(
            "{label:<lw$}  {value:>vw$}  {remark}",
            lw = label_width.unwrap_or(0),
            vw = value_width.unwrap_or(0)
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// A number in base units for scripts: 15 significant digits, as [`format::tidy`].
fn tidy(x: f64) -> String {
    format::tidy(x).to_string()
}

/// JSON text with its fractional numbers rounded as [`format::tidy`]; integers, strings and the order
/// of keys stay as they are.
fn tidy_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let (mut in_string, mut escaped) = (false, false);
    let mut number = String::new();
    let flush = |number: &mut String, out: &mut String| {
        match number.parse::<f64>() {
            Ok(x) if number.contains(['.', 'e', 'E']) => {
                match serde_json::to_string(&format::tidy(x)) {
                    Ok(text) => out.push_str(&text),
                    Err(_) => out.push_str(number),
                }
            }
            _ => out.push_str(number),
        }
        number.clear();
    };
    for c in json.chars() {
        if in_string {
            (escaped, in_string) = (c == '\\' && !escaped, escaped || c != '"');
            out.push(c);
        } else if c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E') {
            number.push(c);
        } else {
            flush(&mut number, &mut out);
            in_string = c == '"';
            out.push(c);
        }
    }
    flush(&mut number, &mut out);
    out
}

/// Headline figures as a table for CSV: `figure` (the label in snake case: `training_compute`,
/// `gpu_hours`), then `low` and `high` in base units (both the value for a single value).
pub fn facts_table(facts: &[(String, Cell, String)]) -> Table {
    let mut table = Table::with_columns(vec![
        Column::new("figure", "figure"),
        Column::split("value", "low", "high"),
    ]);
    for (label, value, _) in facts {
        table.push(vec![Cell::Text(snake_case(label)), value.clone()]);
    }
    table
}

/// `tokens/s per GPU` → `tokens_s_per_gpu`.
fn snake_case(label: &str) -> String {
    let words: Vec<String> = label
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    words.join("_")
}

/// A count with its noun, singular for one: `1 GPU`, `2,048 GPUs`.
pub fn counted(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", format::exact(n), if n == 1 { one } else { many })
}

pub use crate::domain::units::format::range;

/// Renders a command's result in the chosen format; a figure that is not a finite number is an error in
/// every format, never printed as `NaN` or `inf` (nor as JSON `null`).
pub fn render<T: Serialize>(
    result: &T,
    report: impl FnOnce(&T) -> Report,
    output: impl Into<Output>,
) -> Result<String> {
    let Output { format, width } = output.into();
    let report = report(result);
    if let Some(figure) = report.non_finite() {
        return Err(Error::NotFinite { figure });
    }
    Ok(match format {
        Format::Table => report.to_text_within(width),
        Format::Csv => report.to_csv(),
        Format::Markdown => report.to_markdown(),
        Format::Json => {
            // Serialising plain structs of numbers, strings and vectors cannot fail.
            let json = serde_json::to_string_pretty(result).expect("result serialises");
            let mut json = tidy_json(&json);
            json.push('\n');
            json
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_numbers_lose_their_last_bit_noise_and_nothing_else() {
        let json = r#"{"b": 14.240000000000002, "a": [1, 2.5e-7, -3.0000000000000004e20], "s": "1.10000000000000001 \"x\""}"#;
        assert_eq!(
            tidy_json(json),
            r#"{"b": 14.24, "a": [1, 2.5e-7, -3e+20], "s": "1.10000000000000001 \"x\""}"#
        );
    }

    #[test]
    fn a_table_too_wide_leaves_out_optional_columns_then_wraps() {
        let mut table = Table::new(&[("layout", "layout"), ("step", "step"), ("detail", "detail")])
            .optional(&["detail"]);
        table.push(vec![
            Cell::from("TP 8 × PP 16 × DP 64 with SP, ZeRO-1, full recompute, micro-batch 1"),
            Cell::Time(Time::new::<second>(1.5)),
            Cell::from("a long remark nobody needs on a narrow terminal"),
        ]);
        let width = |text: &str| text.lines().map(|l| l.chars().count()).max().unwrap_or(0);
        let full = table.to_text_within(None);
        assert!(
            width(&full) > 100 && full.contains("a long remark"),
            "{full}"
        );
        let narrow = table.to_text_within(Some(60));
        let (grid, note) = narrow.rsplit_once('\n').unwrap();
        assert!(width(grid) <= 60, "{narrow}");
        assert!(
            !grid.contains("long remark") && grid.contains("1.50 s"),
            "{narrow}"
        );
        assert_eq!(
            note,
            "not shown to fit the terminal: detail; --wide shows every column"
        );
        // CSV keeps every column.
        assert!(table.to_csv().contains("a long remark"));
    }

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

    #[test]
    fn ranges_print_both_ends_and_columns_choose_their_csv_form() {
        let b = Bounds::new(1.0, 2.0);
        let range = Cell::range(b, |v| Cell::Number(v, " days"));
        assert_eq!(range.human(), "1.00 days .. 2.00 days");
        assert_eq!(range.raw(), "1..2");
        assert_eq!(
            Cell::range(Bounds::new(3.0, 3.0), Cell::Count),
            Cell::Count(3.0)
        );
        let mut table = Table::with_columns(vec![
            Column::split("span", "low", "high"),
            Column::low("from", "from"),
            Column::people("note"),
            Column::csv("flag"),
        ]);
        table.push(vec![
            range.clone(),
            range,
            Cell::from("x"),
            Cell::from("true"),
        ]);
        table.push(vec![
            Cell::Exact(5),
            Cell::Empty,
            Cell::from("y"),
            Cell::from("false"),
        ]);
        assert_eq!(
            table.to_csv(),
            "low,high,from,flag\n1,2,1,true\n5,5,,false\n"
        );
        assert_eq!(
            table.to_markdown(),
            "| span | from | note |\n|---:|---:|---|\n| 1.00 days .. 2.00 days | 1.00 days .. 2.00 days | x |\n\
             | 5 | - | y |\n"
        );
    }

    #[test]
    fn a_figure_that_is_not_finite_is_an_error_in_every_format() {
        let mut table = Table::new(&[("GPUs", "gpus")]);
        table.push(vec![Cell::range(
            Bounds::new(1.0, f64::INFINITY),
            Cell::Count,
        )]);
        let report = |_: &()| {
            Report::new(vec![Section::Table {
                title: "t".into(),
                table: table.clone(),
            }])
        };
        for format in [Format::Table, Format::Json, Format::Csv, Format::Markdown] {
            match render(&(), report, format) {
                Err(Error::NotFinite { figure }) => assert_eq!(figure, "GPUs"),
                other => panic!("{format:?}: {other:?}"),
            }
        }
        let facts = |_: &()| {
            Report::new(vec![Section::Facts(vec![(
                "MFU".into(),
                Cell::Percent(f64::NAN).note("?"),
                String::new(),
            )])])
        };
        assert!(
            matches!(render(&(), facts, Format::Table), Err(Error::NotFinite { figure }) if figure == "MFU")
        );
    }

    #[test]
    fn a_note_shows_for_people_and_keeps_the_raw_value() {
        let cell = Cell::Dollars(2.5, 2).note("?");
        assert_eq!(cell.human(), "$2.50?");
        assert_eq!(cell.raw(), "2.5");
        assert!(cell.is_numeric());
    }

    #[test]
    fn the_first_table_is_the_csv_unless_the_report_has_its_own() {
        let mut table = Table::new(&[("a", "a")]);
        table.push(vec![Cell::Exact(1)]);
        let sections = vec![
            Section::Line("title".into()),
            Section::Table {
                title: "first".into(),
                table: table.clone(),
            },
        ];
        assert_eq!(Report::new(sections.clone()).to_csv(), "a\n1\n");
        let own = Table::new(&[("b", "b")]);
        assert_eq!(Report::with_csv(sections, own).to_csv(), "b\n");
        assert_eq!(Report::new(vec![]).to_csv(), "");
    }
}
