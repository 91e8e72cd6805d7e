//! Charts (PNG and SVG) drawn with plotters from a finished `timeline.csv`: the timeline is
//! streamed to disk during the run and never kept in memory, so charts read it back.
//!
//! Text uses only the bundled DejaVu Sans, registered once as `sans-serif`: no system font and no
//! system library is needed, and the PNG bytes depend only on the timeline. Long timelines are
//! reduced to the minimum and maximum of each pixel column before drawing, so peaks survive.
//! Every file is rendered in memory and written atomically; this module decides nothing about
//! the simulation.

use super::atomic;
use crate::error::Error;
use crate::scenario::Scenario;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The bundled font (DejaVu Sans, see assets/DejaVuSans-LICENSE.txt).
static FONT_BYTES: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");
/// The only font family the charts use.
const FAMILY: &str = "sans-serif";

/// The charts drawn for every replayed policy (file stems in the policy folder).
pub const POLICY_CHARTS: [&str; 8] = ["lag", "consumers", "threads", "monitor", "netty", "latency", "heartbeats", "table"];
/// The charts drawn by `compare` (file stems in the output folder).
pub const COMPARE_CHARTS: [&str; 2] = ["compare-lag", "compare-timeouts"];

/// Chart width [px].
const WIDTH_PX: u32 = 1200;
/// Height of a one-panel chart [px].
const HEIGHT_PX: u32 = 560;
/// Height of the two-panel thread chart [px].
const HEIGHT_TWO_PANELS_PX: u32 = 760;

/// Series colours (a colour-blind-friendly categorical palette), in legend order.
const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];
const BLOCKED_COLOR: RGBColor = RGBColor(214, 39, 40);
const RUNNABLE_COLOR: RGBColor = RGBColor(44, 160, 44);
const IDLE_COLOR: RGBColor = RGBColor(205, 205, 205);
/// Rows of action labels above a plot.
const LABEL_ROWS: usize = 3;
/// Height of one row of action labels [px].
const LABEL_ROW_PX: i32 = 16;

/// Registers the bundled font once per process; every later call returns the first outcome.
fn ensure_font() -> Result<(), String> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            plotters::style::register_font(FAMILY, FontStyle::Normal, FONT_BYTES)
                .map_err(|_| "the bundled font assets/DejaVuSans.ttf cannot be loaded".to_string())
        })
        .clone()
}

/// A timeline read back from `timeline.csv`: every numeric column, by header name.
pub struct Timeline {
    /// Sample times [s].
    pub time_s: Vec<f64>,
    /// Consumer group names, in column order.
    pub group_names: Vec<String>,
    /// The `monitor_holder` column (a thread name, or `none`), one per row.
    pub holders: Vec<String>,
    names: Vec<String>,
    values: Vec<Vec<f64>>,
}

impl Timeline {
    /// Reads `path` (a file written by `csv_out::TimelineWriter`).
    pub fn read(path: &Path) -> Result<Timeline, Error> {
        let fail = |message: String| Error::Chart {
            path: path.to_path_buf(),
            message,
        };
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(b',')
            .has_headers(true)
            .flexible(false)
            .from_path(path)
            .map_err(|e| fail(format!("cannot read the timeline: {e}")))?;
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| fail(format!("cannot read the timeline header: {e}")))?
            .iter()
            .map(str::to_string)
            .collect();
        if header.first().map(String::as_str) != Some("time_s") {
            return Err(fail("not a timeline: the first column is not time_s".into()));
        }
        let groups_end = header.iter().position(|c| c == "consumers_registered").unwrap_or(2);
        let group_names = header
            .get(2..groups_end)
            .unwrap_or(&[])
            .iter()
            .map(|c| c.strip_prefix("lag_").unwrap_or(c).to_string())
            .collect();
        // Only numeric columns are kept (monitor_holder is a thread name).
        let kept: Vec<usize> = (1..header.len()).filter(|&i| header[i] != "monitor_holder").collect();
        let holder_column = header.iter().position(|c| c == "monitor_holder");
        // Rows stream through a bounded min/max downsampler (issue 14): memory stays flat in the
        // number of samples; timelines of up to CHART_BUCKETS rows come back unchanged. The holder
        // travels as one more column, its category in HOLDER_CATEGORIES.
        let mut sampler = super::downsample::Downsampler::new(kept.len() + 1, super::downsample::CHART_BUCKETS);
        let mut row_values = vec![0.0; kept.len() + 1];
        let mut record = csv::StringRecord::new();
        loop {
            match reader.read_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => return Err(fail(format!("cannot read the timeline: {e}"))),
            }
            let row = sampler.rows() + 2;
            let number = |i: usize| -> Result<f64, Error> {
                let text = record.get(i).unwrap_or("");
                text.parse::<f64>()
                    .map_err(|_| fail(format!("line {row}: column {} is not a number: `{text}`", header[i])))
            };
            let time = number(0)?;
            row_values[kept.len()] = holder_column.map_or(0.0, |i| holder_category(record.get(i).unwrap_or("none")) as f64);
            for (slot, &i) in kept.iter().enumerate() {
                row_values[slot] = number(i)?;
            }
            sampler.push(time, &row_values);
        }
        let (time_s, mut values) = sampler.finish();
        let holders = values
            .pop()
            .unwrap_or_default()
            .iter()
            .map(|&c| HOLDER_CATEGORIES.get(c as usize).copied().unwrap_or("none").to_string())
            .collect();
        Ok(Timeline {
            time_s,
            group_names,
            holders,
            names: kept.iter().map(|&i| header[i].clone()).collect(),
            values,
        })
    }

    /// The values of column `name`.
    pub fn column(&self, name: &str) -> Option<&[f64]> {
        self.names.iter().position(|n| n == name).map(|i| self.values[i].as_slice())
    }
}

/// The time unit of a chart's x axis: minutes up to three hours, hours beyond.
#[derive(Clone, Copy, Debug, PartialEq)]
struct TimeUnit {
    seconds: f64,
    name: &'static str,
}

fn time_unit(duration_s: f64) -> TimeUnit {
    if duration_s <= 3.0 * 3600.0 {
        TimeUnit {
            seconds: 60.0,
            name: "min",
        }
    } else {
        TimeUnit {
            seconds: 3600.0,
            name: "h",
        }
    }
}

/// One line (or stacked area boundary) to draw.
struct Series {
    name: String,
    xs: Vec<f64>,
    ys: Vec<f64>,
    color: RGBColor,
}

/// A vertical line at a scenario action.
struct Marker {
    x: f64,
    label: String,
}

/// One set of axes.
struct Panel {
    y_desc: String,
    series: Vec<Series>,
    /// Series hold cumulative values and are filled down to zero (drawn top first).
    stacked: bool,
    /// Whether action markers carry their labels here.
    label_markers: bool,
    /// A log scale: values are drawn as log10(1 + v), labelled 0, 10, 100, 1k, ...
    log: bool,
    /// Category names when the values are category indices (drawn as points, one row each).
    categories: Vec<String>,
}

/// How a panel's y axis maps values.
#[derive(Clone, Copy)]
enum YScale<'a> {
    Linear,
    Log,
    Categories(&'a [String]),
}

/// A chart: a title, a shared time axis and one or two panels stacked vertically.
struct TimeChart {
    title: String,
    x_desc: String,
    x_max: f64,
    markers: Vec<Marker>,
    panels: Vec<Panel>,
    height_px: u32,
}

/// Keeps the minimum and the maximum of each of `columns` pixel columns (in time order), so a
/// long series draws fast and its peaks and troughs survive.
fn downsample(xs: &[f64], ys: &[f64], x_max: f64, columns: usize) -> Vec<(f64, f64)> {
    let n = xs.len().min(ys.len());
    if n <= 2 * columns || columns == 0 || x_max <= 0.0 {
        return xs.iter().copied().zip(ys.iter().copied()).take(n).collect();
    }
    let bucket = |x: f64| ((x / x_max * columns as f64).floor().max(0.0) as usize).min(columns - 1);
    let mut out = Vec::with_capacity(2 * columns + 2);
    let mut i = 0;
    while i < n {
        let column = bucket(xs[i]);
        let (mut low, mut high) = (i, i);
        while i < n && bucket(xs[i]) == column {
            if ys[i] < ys[low] {
                low = i;
            }
            if ys[i] > ys[high] {
                high = i;
            }
            i += 1;
        }
        let (first, second) = if low <= high { (low, high) } else { (high, low) };
        out.push((xs[first], ys[first]));
        if second != first {
            out.push((xs[second], ys[second]));
        }
    }
    out
}

/// `v` with at most two decimals and no trailing zeros.
fn trim_number(v: f64) -> String {
    let text = format!("{v:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".into()
    } else {
        text.to_string()
    }
}

/// Axis labels for counts: 1500 → 1.5k, 2500000 → 2.5M.
fn format_count(v: f64) -> String {
    let magnitude = v.abs();
    if magnitude >= 1e6 {
        format!("{}M", trim_number(v / 1e6))
    } else if magnitude >= 1e3 {
        format!("{}k", trim_number(v / 1e3))
    } else {
        trim_number(v)
    }
}

fn error_text<E: std::fmt::Display>(error: E) -> String {
    error.to_string()
}

impl TimeChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(error_text)?;
        let body = root.titled(&self.title, (FAMILY, 22).into_font()).map_err(error_text)?;
        match self.panels.len() {
            1 => self.draw_panel(&body, &self.panels[0], true),
            _ => {
                let (_, height) = body.dim_in_pixel();
                let (top, bottom) = body.split_vertically(height * 3 / 5);
                self.draw_panel(&top, &self.panels[0], false)?;
                for panel in &self.panels[1..2] {
                    self.draw_panel(&bottom, panel, true)?;
                }
                Ok(())
            }
        }
    }

    fn draw_panel<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, panel: &Panel, x_axis_desc: bool) -> Result<(), String> {
        let scale = if !panel.categories.is_empty() {
            YScale::Categories(&panel.categories)
        } else if panel.log {
            YScale::Log
        } else {
            YScale::Linear
        };
        let transform = |v: f64| if panel.log { (1.0 + v.max(0.0)).log10() } else { v };
        let y_data_max = panel
            .series
            .iter()
            .flat_map(|s| s.ys.iter().copied())
            .map(transform)
            .fold(0.0f64, f64::max);
        let (y_bottom, y_top, y_labels) = match scale {
            YScale::Categories(names) => (-0.5, names.len() as f64 - 0.5, names.len()),
            YScale::Log => {
                let top = y_data_max.ceil().max(1.0);
                (0.0, top, top as usize + 1)
            }
            YScale::Linear if panel.stacked => (0.0, y_data_max.max(1.0), 8),
            YScale::Linear => (0.0, (y_data_max * 1.25).max(1.0), 8),
        };
        let y_label = move |v: &f64| -> String {
            match scale {
                YScale::Linear => format_count(*v),
                YScale::Log => {
                    let k = v.round();
                    if k == 0.0 {
                        "0".into()
                    } else if (v - k).abs() < 1e-6 {
                        format_count(10f64.powi(k as i32))
                    } else {
                        String::new()
                    }
                }
                YScale::Categories(names) => {
                    let k = v.round();
                    if (v - k).abs() < 1e-6 && k >= 0.0 {
                        names.get(k as usize).cloned().unwrap_or_default()
                    } else {
                        String::new()
                    }
                }
            }
        };
        let y_label_area = if panel.categories.is_empty() { 72 } else { 250 };
        let mut chart = ChartBuilder::on(area)
            .margin_top(if panel.label_markers && !self.markers.is_empty() {
                8 + LABEL_ROW_PX as u32 * LABEL_ROWS as u32
            } else {
                8
            })
            .margin_left(12)
            .margin_right(24)
            .margin_bottom(4)
            .x_label_area_size(if x_axis_desc { 48 } else { 28 })
            .y_label_area_size(y_label_area)
            .build_cartesian_2d(0f64..self.x_max, y_bottom..y_top)
            .map_err(error_text)?;
        let x_desc = if x_axis_desc { self.x_desc.as_str() } else { "" };
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc(panel.y_desc.as_str())
            .x_labels(12)
            .y_labels(y_labels)
            .x_label_formatter(&|v| trim_number(*v))
            .y_label_formatter(&y_label)
            .label_style((FAMILY, 14).into_font())
            .axis_desc_style((FAMILY, 16).into_font())
            .light_line_style(WHITE)
            .bold_line_style(RGBColor(225, 225, 225))
            .draw()
            .map_err(error_text)?;
        let columns = chart.plotting_area().dim_in_pixel().0 as usize;
        for series in &panel.series {
            let ys: Vec<f64> = series.ys.iter().map(|v| transform(*v)).collect();
            let color = series.color;
            if !panel.categories.is_empty() {
                // Categories: one mark per sample (no downsampling: every holder counts).
                let marks = series
                    .xs
                    .iter()
                    .zip(&ys)
                    .map(|(x, y)| Rectangle::new([(*x, *y - 0.3), (*x, *y + 0.3)], color.stroke_width(2)));
                chart
                    .draw_series(marks)
                    .map_err(error_text)?
                    .label(series.name.as_str())
                    .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 20, y + 6)], color.filled()));
                continue;
            }
            let points = downsample(&series.xs, &ys, self.x_max, columns);
            if panel.stacked {
                chart
                    .draw_series(AreaSeries::new(points, 0.0, color.filled()).border_style(color.stroke_width(1)))
                    .map_err(error_text)?
                    .label(series.name.as_str())
                    .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 20, y + 6)], color.filled()));
            } else {
                chart
                    .draw_series(LineSeries::new(points, color.stroke_width(1)))
                    .map_err(error_text)?
                    .label(series.name.as_str())
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(3)));
            }
        }
        self.draw_markers(area, &mut chart, y_bottom, y_top, panel.label_markers)?;
        if !panel.series.is_empty() {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperLeft)
                .margin(10)
                .background_style(WHITE.mix(0.88))
                .border_style(RGBColor(120, 120, 120))
                .label_font((FAMILY, 14).into_font())
                .draw()
                .map_err(error_text)?;
        }
        Ok(())
    }

    /// Draws a grey vertical line per action. Labels go in a band above the plot (so they never
    /// hide data or the legend), each in the first of [`LABEL_ROWS`] rows where it overlaps no
    /// earlier label; near the right edge they end at their line instead of starting there.
    fn draw_markers<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        chart: &mut ChartContext<DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
        y_bottom: f64,
        y_top: f64,
        with_labels: bool,
    ) -> Result<(), String> {
        let line = RGBColor(90, 90, 90).mix(0.7).stroke_width(1);
        let (base_x, base_y) = area.get_base_pixel();
        let plot_top = chart.backend_coord(&(0.0, y_top)).1 - base_y;
        let mut row_ends = [i32::MIN; LABEL_ROWS];
        for marker in &self.markers {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(marker.x, y_bottom), (marker.x, y_top)],
                    line,
                )))
                .map_err(error_text)?;
            if !with_labels {
                continue;
            }
            let x = chart.backend_coord(&(marker.x, y_bottom)).0 - base_x;
            let measure = TextStyle::from((FAMILY, 13).into_font());
            let (width, _) = area.estimate_text_size(&marker.label, &measure).map_err(error_text)?;
            let right_side = marker.x > self.x_max * 0.8;
            let (start, anchor, text_x) = if right_side {
                (x - 3 - width as i32, HPos::Right, x - 3)
            } else {
                (x + 3, HPos::Left, x + 3)
            };
            let row = row_ends.iter().position(|&end| end + 8 < start).unwrap_or(LABEL_ROWS - 1);
            row_ends[row] = start + width as i32;
            let y = plot_top - LABEL_ROW_PX * (LABEL_ROWS - row) as i32;
            let style = measure.color(&BLACK).pos(Pos::new(anchor, VPos::Top));
            area.draw(&Text::new(marker.label.clone(), (text_x, y), style))
                .map_err(error_text)?;
            area.draw(&PathElement::new(vec![(x, y), (x, plot_top)], line))
                .map_err(error_text)?;
        }
        Ok(())
    }
}

/// Renders `chart` to `<stem>.svg` and `<stem>.png` in `dir`, each written atomically.
fn render(chart: &TimeChart, dir: &Path, stem: &str) -> Result<(), Error> {
    render_with(dir, stem, chart.height_px, |root| chart.draw(root), |root| chart.draw(root))
}

type SvgArea<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type PngArea<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

/// Draws with `svg_draw` and `png_draw` (the same drawing on two backends) and writes both files.
fn render_with(
    dir: &Path,
    stem: &str,
    height_px: u32,
    svg_draw: impl FnOnce(&SvgArea) -> Result<(), String>,
    png_draw: impl FnOnce(&PngArea) -> Result<(), String>,
) -> Result<(), Error> {
    render_sized(dir, stem, (WIDTH_PX, height_px), svg_draw, png_draw)
}

/// [`render_with`] at any size (width, height) [px].
fn render_sized(
    dir: &Path,
    stem: &str,
    size: (u32, u32),
    svg_draw: impl FnOnce(&SvgArea) -> Result<(), String>,
    png_draw: impl FnOnce(&PngArea) -> Result<(), String>,
) -> Result<(), Error> {
    let svg_path = dir.join(format!("{stem}.svg"));
    let png_path = dir.join(format!("{stem}.png"));
    ensure_font().map_err(|message| Error::Chart {
        path: svg_path.clone(),
        message,
    })?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        svg_draw(&root)
            .and_then(|()| root.present().map_err(error_text))
            .map_err(|message| Error::Chart {
                path: svg_path.clone(),
                message,
            })?;
    }
    let mut pixels = vec![0u8; size.0 as usize * size.1 as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, size).into_drawing_area();
        png_draw(&root)
            .and_then(|()| root.present().map_err(error_text))
            .map_err(|message| Error::Chart {
                path: png_path.clone(),
                message,
            })?;
    }
    let png = encode_png(&pixels, size).map_err(|message| Error::Chart {
        path: png_path.clone(),
        message,
    })?;
    atomic::write_bytes(&svg_path, svg.as_bytes())?;
    atomic::write_bytes(&png_path, &png)
}

/// PNG bytes of an RGB buffer.
fn encode_png(pixels: &[u8], (width, height): (u32, u32)) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut bytes, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Default);
        encoder.set_adaptive_filter(png::AdaptiveFilterType::Adaptive);
        let mut writer = encoder.write_header().map_err(|e| format!("cannot encode PNG: {e}"))?;
        writer.write_image_data(pixels).map_err(|e| format!("cannot encode PNG: {e}"))?;
        writer.finish().map_err(|e| format!("cannot encode PNG: {e}"))?;
    }
    Ok(bytes)
}

/// What every chart of one run shares: its time axis, title prefix and action markers.
struct Frame {
    unit: TimeUnit,
    xs: Vec<f64>,
    x_max: f64,
    markers: Vec<Marker>,
}

impl Frame {
    fn new(scenario: &Scenario, time_s: &[f64]) -> Frame {
        let duration_s = scenario.duration_ns as f64 / 1e9;
        let unit = time_unit(duration_s);
        let markers = scenario
            .actions
            .iter()
            .filter(|a| a.at_ns <= scenario.duration_ns)
            .map(|a| Marker {
                x: a.at_ns as f64 / 1e9 / unit.seconds,
                label: a.label.clone(),
            })
            .collect();
        Frame {
            unit,
            xs: time_s.iter().map(|t| t / unit.seconds).collect(),
            x_max: duration_s / unit.seconds,
            markers,
        }
    }

    fn chart(&self, title: String, panels: Vec<Panel>) -> TimeChart {
        let height_px = if panels.len() > 1 { HEIGHT_TWO_PANELS_PX } else { HEIGHT_PX };
        TimeChart {
            title,
            x_desc: format!("time [{}]", self.unit.name),
            x_max: self.x_max,
            markers: self
                .markers
                .iter()
                .map(|m| Marker {
                    x: m.x,
                    label: m.label.clone(),
                })
                .collect(),
            panels,
            height_px,
        }
    }

    fn series(&self, name: &str, ys: Vec<f64>, color: RGBColor) -> Series {
        Series {
            name: name.to_string(),
            xs: self.xs.clone(),
            ys,
            color,
        }
    }
}

fn line_panel(y_desc: &str, series: Vec<Series>) -> Panel {
    Panel {
        y_desc: y_desc.to_string(),
        series,
        stacked: false,
        label_markers: true,
        log: false,
        categories: Vec::new(),
    }
}

/// A second panel below the first: the same time axis, action lines without labels.
fn lower_panel(y_desc: &str, series: Vec<Series>) -> Panel {
    Panel {
        label_markers: false,
        ..line_panel(y_desc, series)
    }
}

/// Running sums of `layers` (bottom first), for a stacked area chart drawn top first.
fn stack(layers: &[&[f64]]) -> Vec<Vec<f64>> {
    let mut sums: Vec<Vec<f64>> = Vec::new();
    for layer in layers {
        let next: Vec<f64> = match sums.last() {
            Some(below) => below.iter().zip(layer.iter()).map(|(b, v)| b + v).collect(),
            None => layer.to_vec(),
        };
        sums.push(next);
    }
    sums
}

/// The holder categories of the monitor chart, bottom row first.
pub const HOLDER_CATEGORIES: [&str; 5] = [
    "none",
    "NettyEventExecutor",
    "HeartbeatThread_*",
    "ClientManageThread_*",
    "ClientHousekeepingScheduledThread",
];

/// The row of a `monitor_holder` value in [`HOLDER_CATEGORIES`].
pub fn holder_category(holder: &str) -> usize {
    match holder {
        "NettyEventExecutor" => 1,
        h if h.starts_with("HeartbeatThread_") => 2,
        h if h.starts_with("ClientManageThread_") => 3,
        "ClientHousekeepingScheduledThread" => 4,
        _ => 0,
    }
}

fn required<'t>(timeline: &'t Timeline, name: &str, path: &Path) -> Result<&'t [f64], Error> {
    timeline.column(name).ok_or_else(|| Error::Chart {
        path: path.to_path_buf(),
        message: format!("the timeline has no column `{name}`"),
    })
}

/// Draws lag, threads, table and heartbeats charts (PNG and SVG) of one run into `dir`, from the
/// finished timeline at `timeline_path`.
pub fn draw_policy_charts(scenario: &Scenario, policy: &str, seed: u64, timeline_path: &Path, dir: &Path) -> Result<(), Error> {
    let timeline = Timeline::read(timeline_path)?;
    let frame = Frame::new(scenario, &timeline.time_s);
    let col = |name: &str| required(&timeline, name, timeline_path).map(<[f64]>::to_vec);
    let title = |what: &str| format!("{what} | scenario {} | policy {policy} | seed {seed}", scenario.name);

    let mut lag = vec![frame.series("total", col("lag_total")?, PALETTE[0])];
    if timeline.group_names.len() > 1 {
        for (i, group) in timeline.group_names.iter().enumerate() {
            lag.push(frame.series(group, col(&format!("lag_{group}"))?, PALETTE[(i + 1) % PALETTE.len()]));
        }
    } else if let Some(group) = timeline.group_names.first() {
        // One group: its lag is the total; name it in the legend instead of drawing it twice.
        lag[0].name = format!("total (group {group})");
    }
    let chart = frame.chart(title("Consumer lag"), vec![line_panel("consumer lag [messages]", lag)]);
    render(&chart, dir, "lag")?;

    let blocked = col("heartbeat_threads_blocked")?;
    let runnable = col("heartbeat_threads_runnable")?;
    let idle = col("heartbeat_threads_idle")?;
    let blocked_runnable: Vec<f64> = blocked.iter().zip(&runnable).map(|(b, r)| b + r).collect();
    let all: Vec<f64> = blocked_runnable.iter().zip(&idle).map(|(br, i)| br + i).collect();
    let threads = Panel {
        stacked: true,
        ..line_panel(
            "heartbeat threads [threads]",
            vec![
                frame.series("idle", all, IDLE_COLOR),
                frame.series("RUNNABLE", blocked_runnable, RUNNABLE_COLOR),
                frame.series("BLOCKED (ProducerManager monitor)", blocked, BLOCKED_COLOR),
            ],
        )
    };
    let queue = lower_panel(
        "heartbeat queue [requests]",
        vec![frame.series("heartbeat queue length", col("heartbeat_queue_len")?, PALETTE[4])],
    );
    let chart = frame.chart(title("Heartbeat threads"), vec![threads, queue]);
    render(&chart, dir, "threads")?;

    let table = vec![
        frame.series("groups in ProducerManager table", col("groups_in_table")?, PALETTE[0]),
        frame.series("empty groups", col("groups_empty")?, PALETTE[1]),
    ];
    let chart = frame.chart(title("Producer group table"), vec![line_panel("producer groups [groups]", table)]);
    render(&chart, dir, "table")?;

    let interval = trim_number(scenario.sample_interval_ns as f64 / 1e9);
    let ok = col("heartbeats_ok")?;
    let timed_out = col("heartbeats_timed_out")?;
    let sums = stack(&[&ok, &timed_out]);
    // Client side, stacked: each heartbeat ends once, answered ok or timed out (SYSTEM_BUSY
    // answers that reach a waiting client are neither). Broker side, below: SYSTEM_BUSY
    // rejections, counted when the broker rejects, whether or not the client still waits.
    let outcomes = Panel {
        stacked: true,
        ..line_panel(
            &format!("heartbeats ended per {interval} s [heartbeats]"),
            vec![
                frame.series(
                    "timed out at the client (no answer within the RPC timeout)",
                    sums[1].clone(),
                    PALETTE[3],
                ),
                frame.series("answered ok", sums[0].clone(), PALETTE[2]),
            ],
        )
    };
    let busy = lower_panel(
        &format!("rejected per {interval} s [heartbeats]"),
        vec![frame.series("SYSTEM_BUSY rejections by the broker", col("heartbeats_busy")?, PALETTE[1])],
    );
    let chart = frame.chart(title("Heartbeats"), vec![outcomes, busy]);
    render(&chart, dir, "heartbeats")?;

    let consumers = vec![
        frame.series("running (started consumer instances)", col("consumers_running")?, PALETTE[0]),
        frame.series(
            "registered in the broker's consumer table",
            col("consumers_registered")?,
            PALETTE[3],
        ),
    ];
    let chart = frame.chart(
        title("Consumers registered vs running"),
        vec![line_panel("consumers [instances]", consumers)],
    );
    render(&chart, dir, "consumers")?;

    let netty_queue = line_panel(
        "NettyEventExecutor queue [events]",
        vec![frame.series("queued channel events", col("netty_queue_len")?, PALETTE[4])],
    );
    let drops = lower_panel(
        &format!("dropped per {interval} s [events]"),
        vec![frame.series("events dropped (queue full)", col("netty_events_dropped")?, PALETTE[3])],
    );
    let chart = frame.chart(title("NettyEventExecutor queue and drops"), vec![netty_queue, drops]);
    render(&chart, dir, "netty")?;

    let latency = Panel {
        log: true,
        ..line_panel(
            "heartbeat latency, log scale [ms]",
            vec![
                frame.series("p50", col("heartbeat_latency_p50_ms")?, PALETTE[0]),
                frame.series("p99", col("heartbeat_latency_p99_ms")?, PALETTE[3]),
            ],
        )
    };
    let chart = frame.chart(title("Heartbeat latency (answered heartbeats)"), vec![latency]);
    render(&chart, dir, "latency")?;

    let busy_share: Vec<f64> = col("monitor_busy_share")?.iter().map(|v| v * 100.0).collect();
    let share = line_panel(
        &format!("monitor owned [% of each {interval} s]"),
        vec![
            frame.series("ProducerManager monitor busy", busy_share, PALETTE[0]),
            frame.series("threads waiting for it", col("monitor_waiters")?, PALETTE[3]),
        ],
    );
    let holder_rows: Vec<f64> = timeline.holders.iter().map(|h| holder_category(h) as f64).collect();
    let holder = Panel {
        categories: HOLDER_CATEGORIES.iter().map(|c| c.to_string()).collect(),
        ..lower_panel(
            "holder at each sample",
            vec![frame.series("monitor holder", holder_rows, PALETTE[1])],
        )
    };
    let chart = frame.chart(title("ProducerManager monitor: who holds it"), vec![share, holder]);
    render(&chart, dir, "monitor")
}

/// Draws `compare-lag` and `compare-timeouts` (PNG and SVG) into `dir`: the policies of `runs`
/// (policy name, finished timeline) over each other, in the order given.
pub fn draw_compare_charts(scenario: &Scenario, seed: u64, runs: &[(String, PathBuf)], dir: &Path) -> Result<(), Error> {
    let mut lag = Vec::new();
    let mut timeouts = Vec::new();
    let mut frame = None;
    for (i, (policy, path)) in runs.iter().enumerate() {
        let timeline = Timeline::read(path)?;
        let run_frame = Frame::new(scenario, &timeline.time_s);
        let color = PALETTE[i % PALETTE.len()];
        lag.push(run_frame.series(policy, required(&timeline, "lag_total", path)?.to_vec(), color));
        timeouts.push(run_frame.series(policy, required(&timeline, "heartbeats_timed_out", path)?.to_vec(), color));
        frame.get_or_insert(run_frame);
    }
    let Some(frame) = frame else {
        return Ok(());
    };
    let title = |what: &str| format!("{what} by policy | scenario {} | seed {seed}", scenario.name);
    let log_lag = lag
        .iter()
        .map(|s| Series {
            name: s.name.clone(),
            xs: s.xs.clone(),
            ys: s.ys.clone(),
            color: s.color,
        })
        .collect();
    let log_panel = Panel {
        log: true,
        ..lower_panel("same, log scale [messages]", log_lag)
    };
    let chart = frame.chart(
        title("Consumer lag"),
        vec![line_panel("consumer lag, all groups [messages]", lag), log_panel],
    );
    render(&chart, dir, "compare-lag")?;
    let y_desc = format!(
        "heartbeats timed out per {} s [heartbeats]",
        trim_number(scenario.sample_interval_ns as f64 / 1e9)
    );
    let chart = frame.chart(title("Heartbeat timeouts"), vec![line_panel(&y_desc, timeouts)]);
    render(&chart, dir, "compare-timeouts")
}

/// One policy's line in a sweep chart: the mean at each swept value and its 95% half-width.
pub struct SweepLine {
    pub policy: String,
    pub means: Vec<f64>,
    pub half_widths: Vec<f64>,
}

/// A sweep figure against the swept parameter: one line per policy with its 95% interval band,
/// written to `<stem>.svg` and `<stem>.png` in `dir`. `xs` are numeric positions; `x_labels`
/// (when not empty) name each position instead of the numbers.
pub struct SweepChart<'a> {
    pub title: String,
    pub x_desc: String,
    pub y_desc: String,
    pub xs: &'a [f64],
    pub x_labels: &'a [String],
    pub lines: &'a [SweepLine],
}

impl SweepChart<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(error_text)?;
        let body = root.titled(&self.title, (FAMILY, 22).into_font()).map_err(error_text)?;
        let x_min = self.xs.iter().copied().fold(f64::INFINITY, f64::min);
        let x_max = self.xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let (x_min, x_max) = if x_min.is_finite() && x_max > x_min {
            let pad = (x_max - x_min) * 0.04;
            (x_min - pad, x_max + pad)
        } else {
            let x = if x_min.is_finite() { x_min } else { 0.0 };
            (x - 1.0, x + 1.0)
        };
        let y_max = self
            .lines
            .iter()
            .flat_map(|l| l.means.iter().zip(&l.half_widths).map(|(m, h)| m + h))
            .fold(0.0f64, f64::max);
        let y_top = (y_max * 1.15).max(1e-9);
        let mut chart = ChartBuilder::on(&body)
            .margin(12)
            .x_label_area_size(48)
            .y_label_area_size(80)
            .build_cartesian_2d(x_min..x_max, 0f64..y_top)
            .map_err(error_text)?;
        let labels = self.x_labels;
        let xs = self.xs;
        let x_label = |v: &f64| -> String {
            if labels.is_empty() {
                return format_count(*v);
            }
            xs.iter()
                .position(|x| (x - v).abs() < 1e-6)
                .and_then(|i| labels.get(i).cloned())
                .unwrap_or_default()
        };
        let y_label = |v: &f64| if y_top < 10.0 { trim_number(*v) } else { format_count(*v) };
        chart
            .configure_mesh()
            .x_desc(self.x_desc.as_str())
            .y_desc(self.y_desc.as_str())
            .x_labels(if labels.is_empty() { 10 } else { labels.len() + 1 })
            .y_labels(8)
            .x_label_formatter(&x_label)
            .y_label_formatter(&y_label)
            .label_style((FAMILY, 14).into_font())
            .axis_desc_style((FAMILY, 16).into_font())
            .light_line_style(WHITE)
            .bold_line_style(RGBColor(225, 225, 225))
            .draw()
            .map_err(error_text)?;
        for (i, line) in self.lines.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            let mut band: Vec<(f64, f64)> = self
                .xs
                .iter()
                .zip(line.means.iter().zip(&line.half_widths))
                .map(|(x, (m, h))| (*x, m + h))
                .collect();
            band.extend(
                self.xs
                    .iter()
                    .zip(line.means.iter().zip(&line.half_widths))
                    .rev()
                    .map(|(x, (m, h))| (*x, (m - h).max(0.0))),
            );
            chart
                .draw_series(std::iter::once(Polygon::new(band, color.mix(0.18).filled())))
                .map_err(error_text)?;
            let points: Vec<(f64, f64)> = self.xs.iter().copied().zip(line.means.iter().copied()).collect();
            chart
                .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))
                .map_err(error_text)?
                .label(format!("{} (mean, 95% interval)", line.policy))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(3)));
            chart
                .draw_series(points.into_iter().map(|p| Circle::new(p, 4, color.filled())))
                .map_err(error_text)?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .margin(10)
            .background_style(WHITE.mix(0.88))
            .border_style(RGBColor(120, 120, 120))
            .label_font((FAMILY, 14).into_font())
            .draw()
            .map_err(error_text)
    }

    /// Renders the chart to `dir/<stem>.svg` and `.png`.
    pub fn render(&self, dir: &Path, stem: &str) -> Result<(), Error> {
        render_with(dir, stem, HEIGHT_PX, |root| self.draw(root), |root| self.draw(root))
    }
}

/// A point to mark on a collapse map, in grid-index coordinates (fractional between values).
pub struct MapMark {
    pub label: String,
    pub x: f64,
    pub y: f64,
}

/// A collapse map: one cell per (value, value2), shaded by the share of seeds collapsed, with
/// "k/n" in each cell and optional marks (issue 10 point 5).
pub struct CollapseMap<'a> {
    pub title: String,
    /// The first parameter (y axis) and its values.
    pub param: (&'a str, &'a [String]),
    /// The second parameter (x axis) and its values.
    pub param2: (&'a str, &'a [String]),
    /// (i, j, collapsed, runs) per cell.
    pub cells: Vec<(usize, usize, usize, usize)>,
    pub marks: Vec<MapMark>,
}

impl CollapseMap<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(error_text)?;
        let (nx, ny) = (self.param2.1.len(), self.param.1.len());
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FAMILY, 20))
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(96)
            .build_cartesian_2d(-0.5f64..nx as f64 - 0.5, -0.5f64..ny as f64 - 0.5)
            .map_err(error_text)?;
        let xs = self.param2.1;
        let ys = self.param.1;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(self.param2.0)
            .y_desc(self.param.0)
            .x_labels(nx)
            .y_labels(ny)
            .x_label_formatter(&|v| label_at(xs, *v))
            .y_label_formatter(&|v| label_at(ys, *v))
            .label_style((FAMILY, 13))
            .axis_desc_style((FAMILY, 15))
            .draw()
            .map_err(error_text)?;
        for &(i, j, k, n) in &self.cells {
            let share = if n == 0 { 0.0 } else { k as f64 / n as f64 };
            // White (none collapsed) to red (all collapsed).
            let shade = |c: f64| (255.0 - share * (255.0 - c)).round() as u8;
            let color = RGBColor(shade(214.0), shade(39.0), shade(40.0));
            let (x, y) = (j as f64, i as f64);
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)],
                    color.filled(),
                )))
                .map_err(error_text)?;
            chart
                .draw_series(std::iter::once(Text::new(
                    format!("{k}/{n}"),
                    (x, y),
                    (FAMILY, 13).into_font().color(&BLACK).pos(Pos::new(HPos::Center, VPos::Center)),
                )))
                .map_err(error_text)?;
        }
        for mark in &self.marks {
            chart
                .draw_series(std::iter::once(Circle::new((mark.x, mark.y), 7, BLACK.stroke_width(2))))
                .map_err(error_text)?;
            chart
                .draw_series(std::iter::once(Text::new(
                    mark.label.clone(),
                    (mark.x, mark.y),
                    (FAMILY, 13).into_font().color(&BLACK).pos(Pos::new(HPos::Left, VPos::Bottom)),
                )))
                .map_err(error_text)?;
        }
        Ok(())
    }
}

fn label_at(values: &[String], v: f64) -> String {
    let i = v.round();
    if (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < values.len() {
        values[i as usize].clone()
    } else {
        String::new()
    }
}

/// Draws `<stem>.svg` and `<stem>.png` of a collapse map in `dir`, each written atomically.
pub fn draw_collapse_map(map: &CollapseMap, dir: &Path, stem: &str) -> Result<(), Error> {
    let size = (
        (160 + 90 * map.param2.1.len() as u32).clamp(480, 1600),
        (140 + 48 * map.param.1.len() as u32).clamp(360, 1200),
    );
    render_sized(dir, stem, size, |root| map.draw(root), |root| map.draw(root))
}

/// The per-broker chart of a multi-broker run (file stem in the policy folder).
pub const BROKER_CHART: &str = "brokers";

/// Draws `brokers` (PNG and SVG) into `dir` from the finished `timeline_brokers.csv`: the lag on
/// each broker's queues (top) and each broker's BLOCKED heartbeat threads (bottom), one line per
/// broker, so a sick broker and the lag it causes elsewhere show side by side.
pub fn draw_broker_chart(scenario: &Scenario, policy: &str, seed: u64, path: &Path, dir: &Path) -> Result<(), Error> {
    let fail = |message: String| Error::Chart {
        path: path.to_path_buf(),
        message,
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b',')
        .has_headers(true)
        .from_path(path)
        .map_err(|e| fail(format!("cannot read the broker timeline: {e}")))?;
    let header = reader.headers().map_err(|e| fail(format!("cannot read the header: {e}")))?.clone();
    let col = |name: &str| {
        header
            .iter()
            .position(|c| c == name)
            .ok_or_else(|| fail(format!("no column `{name}`")))
    };
    let (time_i, broker_i, lag_i, blocked_i) = (col("time_s")?, col("broker")?, col("lag")?, col("heartbeat_threads_blocked_mean")?);
    // Rows come in (time, broker) order. Each broker's rows stream through its own bounded
    // min/max downsampler (issue 14), so memory stays flat in the number of samples; the
    // brokers share sample times, so their buckets line up and broker 0's give the time axis.
    let mut samplers: Vec<super::downsample::Downsampler> = Vec::new();
    for (n, record) in reader.records().enumerate() {
        let record = record.map_err(|e| fail(format!("cannot read the broker timeline: {e}")))?;
        let number = |i: usize| -> Result<f64, Error> {
            let text = record.get(i).unwrap_or("");
            text.parse::<f64>()
                .map_err(|_| fail(format!("line {}: `{text}` is not a number", n + 2)))
        };
        let b = number(broker_i)? as usize;
        while samplers.len() <= b {
            samplers.push(super::downsample::Downsampler::new(2, super::downsample::CHART_BUCKETS));
        }
        samplers[b].push(number(time_i)?, &[number(lag_i)?, number(blocked_i)?]);
    }
    let mut time_s = Vec::new();
    let mut lag: Vec<Vec<f64>> = Vec::new();
    let mut blocked: Vec<Vec<f64>> = Vec::new();
    for (b, sampler) in samplers.into_iter().enumerate() {
        let (times, mut values) = sampler.finish();
        if b == 0 {
            time_s = times;
        }
        blocked.push(values.pop().unwrap_or_default());
        lag.push(values.pop().unwrap_or_default());
    }
    let frame = Frame::new(scenario, &time_s);
    let name = |b: usize| format!("broker {b}");
    let lag_series = lag
        .into_iter()
        .enumerate()
        .map(|(b, ys)| frame.series(&name(b), ys, PALETTE[b % PALETTE.len()]))
        .collect();
    let blocked_series = blocked
        .into_iter()
        .enumerate()
        .map(|(b, ys)| frame.series(&name(b), ys, PALETTE[b % PALETTE.len()]))
        .collect();
    let mut threads = line_panel("BLOCKED heartbeat threads (mean)", blocked_series);
    threads.label_markers = false;
    let title = format!("Per broker | scenario {} | policy {policy} | seed {seed}", scenario.name);
    let chart = frame.chart(
        title,
        vec![line_panel("lag on the broker's queues [messages]", lag_series), threads],
    );
    render(&chart, dir, BROKER_CHART)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downsample_keeps_peaks_and_troughs() {
        let xs: Vec<f64> = (0..10_000).map(f64::from).collect();
        let mut ys = vec![5.0; 10_000];
        ys[1234] = 1e9;
        ys[8765] = -3.0;
        let points = downsample(&xs, &ys, 10_000.0, 100);
        assert!(points.len() <= 200);
        assert!(points.contains(&(1234.0, 1e9)));
        assert!(points.contains(&(8765.0, -3.0)));
        assert!(points.windows(2).all(|w| w[0].0 < w[1].0), "time order kept");
    }

    #[test]
    fn short_series_are_kept_whole() {
        let xs = [0.0, 1.0, 2.0];
        let ys = [3.0, 1.0, 2.0];
        assert_eq!(downsample(&xs, &ys, 2.0, 100), vec![(0.0, 3.0), (1.0, 1.0), (2.0, 2.0)]);
    }

    #[test]
    fn counts_are_formatted_compactly() {
        assert_eq!(format_count(0.0), "0");
        assert_eq!(format_count(1500.0), "1.5k");
        assert_eq!(format_count(277_762.0), "277.76k");
        assert_eq!(format_count(2_500_000.0), "2.5M");
        assert_eq!(trim_number(12.5), "12.5");
    }

    #[test]
    fn time_axis_uses_minutes_then_hours() {
        assert_eq!(time_unit(7200.0).name, "min");
        assert_eq!(time_unit(6.0 * 3600.0).name, "h");
    }
}
