//! Charts as SVG, drawn with plotters from the same results the tables show: `compare` (cost and days
//! per GPU type), `plan` (step time of the top layouts, stacked by part) and `chinchilla` (loss over
//! model size at a fixed budget, optimum marked). Text is left to the SVG viewer's sans-serif font.

use plotters::coord::Shift;
use plotters::coord::combinators::LogCoord;
use plotters::coord::ranged1d::SegmentedCoord;
use plotters::coord::types::{RangedCoordf64, RangedCoordu32};
use plotters::prelude::*;

use crate::app::chinchilla::ChinchillaResult;
use crate::app::compare::CompareResult;
use crate::app::plan::PlanResult;
use crate::domain::scaling::FITS;
use crate::domain::units::format;
use crate::domain::units::unit::{day, dollar};
use crate::error::{Error, Result};

const SIZE: (u32, u32) = (900, 480);
const PALETTE: [RGBColor; 5] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
];

fn failed(e: impl std::fmt::Display) -> Error {
    Error::Argument {
        argument: "--chart".into(),
        message: format!("cannot draw the chart: {e}"),
    }
}

/// Refuses an axis from `low` to `high` that is not finite or spans more than 10^200 (plotters steps
/// through its ticks and would not finish), before anything is drawn.
fn axis(low: f64, high: f64) -> Result<std::ops::Range<f64>> {
    let span_ok = low.abs().max(high.abs()) < 1e200;
    if !(low.is_finite() && high.is_finite() && low < high && span_ok) {
        return Err(failed(format!(
            "an axis from {low:e} to {high:e} cannot be drawn; bring the inputs nearer to real figures"
        )));
    }
    Ok(low..high)
}

/// Draws into an SVG string.
fn svg(draw: impl FnOnce(&DrawingArea<SVGBackend, Shift>) -> Result<()>) -> Result<String> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(failed)?;
        draw(&root)?;
        root.present().map_err(failed)?;
    }
    Ok(out)
}

/// Bars over `n` categories: the chart area with room for labels, y from 0 to `top`.
type Bars<'a, 'b> =
    ChartContext<'a, SVGBackend<'b>, Cartesian2d<SegmentedCoord<RangedCoordu32>, RangedCoordf64>>;

fn bar_area<'a, 'b>(
    area: &'a DrawingArea<SVGBackend<'b>, Shift>,
    caption: &str,
    n: u32,
    top: f64,
) -> Result<Bars<'a, 'b>> {
    ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .build_cartesian_2d(
            (0..n.saturating_sub(1)).into_segmented(),
            axis(0.0, top.max(1e-12))?,
        )
        .map_err(failed)
}

/// Labelled bars: one range per category, its low end solid and the rest up to its high end pale.
fn bars(
    area: &DrawingArea<SVGBackend, Shift>,
    title: &str,
    unit: &str,
    labels: &[String],
    values: &[(f64, f64)],
) -> Result<()> {
    let top = values.iter().map(|v| v.1).fold(0.0, f64::max) * 1.15;
    let n = labels.len() as u32;
    let mut chart = bar_area(area, title, n, top)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .y_desc(unit)
        .y_label_formatter(&|v| format::count(*v))
        .x_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => labels.get(*i as usize).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .draw()
        .map_err(failed)?;
    for (style, end) in [(PALETTE[0].mix(0.35).filled(), 1), (PALETTE[0].filled(), 0)] {
        let data = values
            .iter()
            .enumerate()
            .map(|(i, &(low, high))| (i as u32, if end == 0 { low } else { high }));
        chart
            .draw_series(
                Histogram::vertical(&chart)
                    .margin(12)
                    .style(style)
                    .data(data),
            )
            .map_err(failed)?;
    }
    Ok(())
}

/// `compare`: cost and wall-clock days per GPU type, cheapest first.
pub fn compare(result: &CompareResult) -> Result<String> {
    let labels: Vec<String> = result.rows.iter().map(|r| r.gpu.clone()).collect();
    let cost: Vec<(f64, f64)> = result
        .rows
        .iter()
        .map(|r| {
            r.cost_usd.map_or((0.0, 0.0), |c| {
                (c.low.get::<dollar>() / 1e6, c.high.get::<dollar>() / 1e6)
            })
        })
        .collect();
    let days: Vec<(f64, f64)> = result
        .rows
        .iter()
        .map(|r| {
            let t = r.wall_clock_seconds;
            (t.low.get::<day>(), t.high.get::<day>())
        })
        .collect();
    // With the duration fixed every bar of days is the same: show the GPUs needed instead.
    let fixed_days = days.windows(2).all(|w| w[0] == w[1]);
    svg(|root| {
        let (left, right) = root.split_horizontally(SIZE.0 / 2);
        bars(
            &left,
            &format!("{}: cost", result.model),
            "million USD",
            &labels,
            &cost,
        )?;
        if fixed_days {
            let gpus: Vec<(f64, f64)> = result
                .rows
                .iter()
                .map(|r| (r.gpus.low, r.gpus.high))
                .collect();
            bars(
                &right,
                &format!("GPUs needed for {:.0} days", days[0].0),
                "GPUs",
                &labels,
                &gpus,
            )
        } else {
            bars(&right, "wall-clock", "days", &labels, &days)
        }
    })
}

/// The parts of a step that `plan` stacks, bottom to top.
const STEP_PARTS: [&str; 5] = ["compute", "bubble", "TP comm", "DP comm", "EP comm"];

/// Each layout's step time by part, in seconds, in the order of [`STEP_PARTS`].
fn step_parts(result: &PlanResult) -> Vec<[f64; 5]> {
    result
        .layouts
        .iter()
        .map(|row| {
            let s = &row.candidate.step;
            [
                s.compute,
                s.bubble,
                s.tensor_parallel,
                s.data_parallel,
                s.expert_parallel,
            ]
        })
        .collect()
}

/// Draws part `p` of every step on top of the parts below it, labelled for the legend.
fn stack(chart: &mut Bars, steps: &[[f64; 5]], p: usize) -> Result<()> {
    let color = PALETTE[p];
    let below: Vec<f64> = steps.iter().map(|s| s[..p].iter().sum()).collect();
    let series = Histogram::vertical(chart)
        .margin(12)
        .style(color.filled())
        .baseline_func(move |x: &SegmentValue<u32>| match x {
            SegmentValue::Exact(i) | SegmentValue::CenterOf(i) => {
                below.get(*i as usize).copied().unwrap_or(0.0)
            }
            SegmentValue::Last => 0.0,
        })
        .data(
            steps
                .iter()
                .enumerate()
                .map(|(i, s)| (i as u32, s[..=p].iter().sum::<f64>())),
        );
    chart
        .draw_series(series)
        .map_err(failed)?
        .label(STEP_PARTS[p])
        .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], color.filled()));
    Ok(())
}

/// `plan`: the top layouts' step time, stacked by compute, bubble and communication.
pub fn plan(result: &PlanResult) -> Result<String> {
    let steps = step_parts(result);
    // Headroom above the bars for the legend.
    let top = steps
        .iter()
        .map(|s| s.iter().sum::<f64>())
        .fold(0.0, f64::max)
        * 1.45;
    let n = steps.len() as u32;
    svg(|root| {
        let caption = format!(
            "{}: step time of the fastest layouts on {} GPUs",
            result.model.id, result.gpus
        );
        let mut chart = bar_area(root, &caption, n, top)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_desc("layout rank")
            .y_desc("seconds per step")
            .x_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => format!("#{}", i + 1),
                _ => String::new(),
            })
            .draw()
            .map_err(failed)?;
        for p in 0..STEP_PARTS.len() {
            stack(&mut chart, &steps, p)?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(failed)
    })
}

/// A fit's name, its (parameters, loss) points and its optimum.
type Curve = (&'static str, Vec<(f64, f64)>, (f64, f64));

/// Each fit's predicted loss over model sizes from `low` to `high` at `budget`, with tokens
/// D = C / 6N, and its own optimum.
fn curves(low: f64, high: f64, budget: f64) -> Vec<Curve> {
    FITS.iter()
        .map(|fit| {
            let points = (0..=120)
                .map(|i| {
                    let n = low * (high / low).powf(i as f64 / 120.0);
                    (n, fit.loss(n, budget / (6.0 * n)))
                })
                .collect();
            let (n, d) = fit.optimum(budget);
            (fit.name, points, (n, fit.loss(n, d)))
        })
        .collect()
}

/// `chinchilla`: predicted loss over model size at the budget, one curve per fit, optima marked. With
/// `--params` or `--tokens` the fits' budgets differ; the chart is drawn at the first fit's.
pub fn chinchilla(result: &ChinchillaResult) -> Result<String> {
    let budget = result.fits[0].budget_flops;
    let own = own_model(result);
    let (low, high) = size_range(result, own.as_ref());
    let curves = curves(low, high, budget);
    let (y_low, y_high) = loss_range(&curves);
    svg(|root| {
        let mut chart = ChartBuilder::on(root)
            .caption(
                format!("loss over model size at {budget:.2e} FLOP (C = 6ND)"),
                ("sans-serif", 18),
            )
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(64)
            .build_cartesian_2d(
                axis(low, high)?.log_scale(),
                axis(y_low * 0.98, y_high.min(y_low * 1.6))?,
            )
            .map_err(failed)?;
        chart
            .configure_mesh()
            .x_desc("parameters")
            .y_desc("predicted loss")
            .x_label_formatter(&|n| crate::domain::units::format::count(*n))
            .draw()
            .map_err(failed)?;
        draw_curves(&mut chart, &curves)?;
        if let Some((name, point)) = &own {
            chart
                .draw_series(std::iter::once(Cross::new(
                    *point,
                    8,
                    BLACK.stroke_width(2),
                )))
                .map_err(failed)?
                .label(name.as_str())
                .legend(|(x, y)| Cross::new((x + 8, y), 5, BLACK.stroke_width(2)));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(failed)
    })
}

/// The model itself, when one is given, as (name, (parameters, loss)): at its budget it lies on the
/// first fit's curve.
fn own_model(result: &ChinchillaResult) -> Option<(String, (f64, f64))> {
    result
        .trained
        .as_ref()
        .zip(result.fits[0].model_loss)
        .map(|(t, loss)| (t.model.clone(), (t.params, loss)))
}

/// Model sizes from a hundredth to a hundred times the first fit's optimum, and out to the model.
fn size_range(result: &ChinchillaResult, own: Option<&(String, (f64, f64))>) -> (f64, f64) {
    let optimum = result.fits[0].optimal_params;
    let own_n = own.map_or(optimum, |(_, (n, _))| *n);
    (
        (optimum / 100.0).min(own_n / 2.0),
        (optimum * 100.0).max(own_n * 2.0),
    )
}

/// The lowest and highest loss over all curves.
fn loss_range(curves: &[Curve]) -> (f64, f64) {
    curves
        .iter()
        .flat_map(|(_, points, _)| points.iter().map(|p| p.1))
        .fold((f64::INFINITY, 0.0f64), |(l, h), y| (l.min(y), h.max(y)))
}

/// Loss over model size: parameters on a log scale, loss linear.
type LossChart<'a, 'b> =
    ChartContext<'a, SVGBackend<'b>, Cartesian2d<LogCoord<f64>, RangedCoordf64>>;

/// Each fit's curve in its colour, labelled, with a dot at its optimum.
fn draw_curves(chart: &mut LossChart, curves: &[Curve]) -> Result<()> {
    for (i, (name, points, best)) in curves.iter().enumerate() {
        let color = PALETTE[i];
        chart
            .draw_series(LineSeries::new(
                points.iter().copied(),
                color.stroke_width(2),
            ))
            .map_err(failed)?
            .label(*name)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], color.stroke_width(2)));
        chart
            .draw_series(std::iter::once(Circle::new(*best, 6, color.filled())))
            .map_err(failed)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_beyond_what_can_be_drawn_are_refused() {
        assert_eq!(axis(0.0, 10.0).unwrap(), 0.0..10.0);
        for (low, high) in [
            (0.0, f64::INFINITY),
            (0.0, 1e300),
            (f64::NAN, 1.0),
            (2.0, 1.0),
        ] {
            assert!(axis(low, high).is_err(), "{low}..{high}");
        }
    }
}
