//! Inline SVG charts for `report.html`: a line chart (several series, optional shaded
//! bands, gaps where a series breaks) and a grouped bar chart. No scripts, no fonts to load.

use std::fmt::Write as _;

const WIDTH: f64 = 880.0;
const HEIGHT: f64 = 260.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 28.0;
const BOTTOM: f64 = 40.0;

/// Colours for series, in order (colour-blind friendly).
pub const PALETTE: [&str; 8] = [
    "#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#f0e442", "#000000",
];

/// One line of a line chart. Points are drawn joined unless the x gap exceeds `break_gap`.
pub struct Series {
    pub name: String,
    pub color: &'static str,
    pub points: Vec<(f64, f64)>,
    pub dashed: bool,
    pub markers: bool,
}

/// A shaded x range with a label (a phase of the run).
#[derive(Debug, Clone)]
pub struct Band {
    pub label: String,
    pub from: f64,
    pub to: f64,
}

/// How the y axis maps values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum YScale {
    /// Linear from 0 (counts, rates, CPU).
    FromZero,
    /// Linear over the data's own range, padded: a level line (memory) is not drawn on
    /// the frame and its changes are visible.
    Zoomed,
    /// Logarithmic: a 1 ms phase and a 300 ms phase are both readable.
    Log,
}

/// A labelled horizontal line (a threshold).
#[derive(Debug, Clone)]
pub struct Rule {
    pub value: f64,
    pub label: String,
    pub color: &'static str,
}

/// A line chart.
pub struct LineChart<'a> {
    pub title: &'a str,
    pub x_label: &'a str,
    pub y_label: &'a str,
    /// Fixed x range (so charts of one run share a time axis); `None`: from the data.
    pub x_domain: Option<(f64, f64)>,
    pub series: Vec<Series>,
    pub bands: &'a [Band],
    /// Lines break where consecutive points are further apart than this; a point with
    /// no neighbour within it is drawn as a dot.
    pub break_gap: f64,
    pub y_scale: YScale,
    pub rules: Vec<Rule>,
}

/// Escapes text for HTML and SVG.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// About five round tick values covering `[min, max]`.
fn ticks(min: f64, max: f64) -> Vec<f64> {
    let span = (max - min).max(f64::EPSILON);
    let raw = span / 5.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| span / s <= 6.0)
        .unwrap_or(magnitude * 10.0);
    let mut tick = (min / step).ceil() * step;
    let mut out = Vec::new();
    while tick <= max + step * 1e-9 {
        out.push(tick);
        tick += step;
    }
    out
}

fn label(value: f64) -> String {
    if value.abs() >= 100.0 || value.fract() == 0.0 {
        format!("{value:.0}")
    } else if value.abs() >= 1.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

fn frame(out: &mut String, title: &str) {
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{t}" font-family="sans-serif" font-size="11"><text x="{LEFT}" y="16" font-size="13" font-weight="bold">{t}</text>"#,
        t = escape(title)
    );
}

/// Tick values of a logarithmic axis over `[min, max]` (both > 0): 1, 2, 5 × powers of ten,
/// thinned to at most about eight.
fn log_ticks(min: f64, max: f64) -> Vec<f64> {
    let mut out = Vec::new();
    let mut decade = 10f64.powf(min.log10().floor());
    while decade <= max * 1.000_001 {
        for m in [1.0, 2.0, 5.0] {
            let tick = decade * m;
            if tick >= min * 0.999_999 && tick <= max * 1.000_001 {
                out.push(tick);
            }
        }
        decade *= 10.0;
    }
    if out.len() > 8 {
        out.retain(|t| (t.log10().fract().abs() < 1e-9) || (1.0 - t.log10().fract()).abs() < 1e-9);
    }
    out
}

fn axes(
    out: &mut String,
    (x0, x1): (f64, f64),
    y_ticks: &[(f64, f64)],
    x_label: &str,
    y_label: &str,
) {
    let (plot_w, plot_h) = (WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);
    for &(tick, y) in y_ticks {
        let _ = write!(
            out,
            r##"<line x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#e4e4e4"/><text x="{}" y="{:.1}" text-anchor="end">{}</text>"##,
            WIDTH - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            label(tick)
        );
    }
    if x1 > x0 {
        for tick in ticks(x0, x1) {
            let x = LEFT + (tick - x0) / (x1 - x0) * plot_w;
            let _ = write!(
                out,
                r#"<text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                TOP + plot_h + 16.0,
                label(tick)
            );
        }
    }
    let _ = write!(
        out,
        r##"<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#999"/><text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text><text transform="translate(14 {:.1}) rotate(-90)" text-anchor="middle">{}</text>"##,
        LEFT + plot_w / 2.0,
        HEIGHT - 6.0,
        escape(x_label),
        TOP + plot_h / 2.0,
        escape(y_label)
    );
}

fn legend(out: &mut String, entries: &[(&str, &str)]) {
    let mut x = WIDTH - RIGHT;
    for (name, color) in entries.iter().rev() {
        let width = 7.0 * name.chars().count() as f64 + 22.0;
        x -= width;
        let _ = write!(
            out,
            r#"<rect x="{x:.1}" y="7" width="12" height="10" fill="{color}"/><text x="{:.1}" y="16">{}</text>"#,
            x + 16.0,
            escape(name)
        );
    }
}

impl LineChart<'_> {
    /// The chart as an `<svg>` element; a note instead when there is nothing to draw.
    pub fn render(&self) -> String {
        let all: Vec<(f64, f64)> = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().copied())
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .collect();
        if all.is_empty() {
            return format!(
                "<p class=\"empty\">{}: no data in this run.</p>",
                escape(self.title)
            );
        }
        let (x0, x1) = self.x_domain.unwrap_or_else(|| {
            let min = all.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
            let max = all.iter().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max);
            (min, if max > min { max } else { min + 1.0 })
        });
        let (plot_w, plot_h) = (WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);
        let sx = |x: f64| LEFT + (x - x0) / (x1 - x0) * plot_w;
        let values = all
            .iter()
            .map(|p| p.1)
            .chain(self.rules.iter().map(|r| r.value));
        let axis = YAxis::fit(self.y_scale, values, plot_h);
        let sy = |y: f64| axis.map(y);

        let mut out = String::new();
        frame(&mut out, self.title);
        // Labels are drawn after every band, so a band never covers its neighbour's label.
        let mut labels = String::new();
        let mut label_rows: Vec<Vec<(f64, f64)>> = Vec::new();
        for (index, band) in self.bands.iter().enumerate() {
            let (from, to) = (band.from.max(x0), band.to.min(x1));
            if to <= from {
                continue;
            }
            let fill = if index % 2 == 0 { "#f3f6fa" } else { "#faf6f0" };
            let _ = write!(
                out,
                r#"<rect x="{:.1}" y="{TOP}" width="{:.1}" height="{plot_h}" fill="{fill}"><title>{}</title></rect>"#,
                sx(from),
                sx(to) - sx(from),
                escape(&band.label)
            );
            // A label goes on the first row where it overlaps no other; beyond three rows
            // it is left to the band's tooltip.
            let start = sx(from) + 2.0;
            let end = start + 5.2 * band.label.chars().count() as f64;
            let row = (0..3).find(|&r| {
                label_rows
                    .get(r)
                    .is_none_or(|taken| taken.iter().all(|&(a, b)| end < a || start > b))
            });
            if let Some(row) = row {
                if label_rows.len() <= row {
                    label_rows.resize(row + 1, Vec::new());
                }
                label_rows[row].push((start, end));
                let _ = write!(
                    labels,
                    r##"<text x="{start:.1}" y="{:.1}" fill="#777" font-size="9">{}</text>"##,
                    TOP + 10.0 + row as f64 * 10.0,
                    escape(&band.label)
                );
            }
        }
        out.push_str(&labels);
        axes(
            &mut out,
            (x0, x1),
            &axis.ticks(),
            self.x_label,
            self.y_label,
        );
        // Everything drawn from data stays inside the plot frame.
        let clip = format!(
            "clip-{}",
            self.title
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .collect::<String>()
        );
        let _ = write!(
            out,
            r#"<clipPath id="{clip}"><rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}"/></clipPath><g clip-path="url(#{clip})">"#
        );
        for rule in &self.rules {
            let y = sy(rule.value);
            let _ = write!(
                out,
                r#"<line x1="{LEFT}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}" stroke="{}" stroke-dasharray="2 3"/><text x="{:.1}" y="{:.1}" text-anchor="end" fill="{}" font-size="9">{}</text>"#,
                WIDTH - RIGHT,
                rule.color,
                WIDTH - RIGHT - 3.0,
                y + 11.0,
                rule.color,
                escape(&rule.label)
            );
        }
        for series in &self.series {
            let dash = if series.dashed {
                r#" stroke-dasharray="6 4""#
            } else {
                ""
            };
            let points: Vec<(f64, f64)> = series
                .points
                .iter()
                .copied()
                .filter(|(x, y)| x.is_finite() && y.is_finite() && axis.shows(*y))
                .collect();
            let mut path = String::new();
            for (i, &(x, y)) in points.iter().enumerate() {
                let joined_before = i > 0 && x - points[i - 1].0 <= self.break_gap;
                let joined_after = points.get(i + 1).is_some_and(|n| n.0 - x <= self.break_gap);
                let command = if joined_before { 'L' } else { 'M' };
                let _ = write!(path, "{command}{:.1} {:.1} ", sx(x), sy(y));
                if series.markers || !(joined_before || joined_after) {
                    let _ = write!(
                        out,
                        r#"<circle cx="{:.1}" cy="{:.1}" r="2.5" fill="{}"/>"#,
                        sx(x),
                        sy(y),
                        series.color
                    );
                }
            }
            let _ = write!(
                out,
                r#"<path d="{}" fill="none" stroke="{}" stroke-width="1.6"{dash}/>"#,
                path.trim_end(),
                series.color
            );
        }
        out.push_str("</g>");
        let entries: Vec<(&str, &str)> = self
            .series
            .iter()
            .map(|s| (s.name.as_str(), s.color))
            .collect();
        legend(&mut out, &entries);
        out.push_str("</svg>");
        out
    }
}

/// The y axis of one chart: its range, scale and ticks.
struct YAxis {
    scale: YScale,
    low: f64,
    high: f64,
    plot_h: f64,
}

impl YAxis {
    fn fit(scale: YScale, values: impl Iterator<Item = f64>, plot_h: f64) -> YAxis {
        let values: Vec<f64> = values.filter(|v| v.is_finite()).collect();
        let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let min = values.iter().copied().fold(f64::INFINITY, f64::min);
        let (low, high) = match scale {
            YScale::FromZero => {
                let high = if max > 0.0 { max * 1.08 } else { 1.0 };
                (min.min(0.0), high)
            }
            YScale::Zoomed => {
                let span = (max - min).max(max.abs() * 0.02).max(1e-9);
                (
                    (min - span * 0.15).max(if min >= 0.0 { 0.0 } else { f64::MIN }),
                    max + span * 0.15,
                )
            }
            YScale::Log => {
                let positive = values.iter().copied().filter(|v| *v > 0.0);
                let min = positive.clone().fold(f64::INFINITY, f64::min);
                let max = positive.fold(f64::NEG_INFINITY, f64::max);
                if min.is_finite() {
                    let low = 10f64.powf(min.log10().floor());
                    let high = 10f64.powf(max.log10().ceil()).max(low * 10.0);
                    (low, high)
                } else {
                    (1.0, 10.0)
                }
            }
        };
        YAxis {
            scale,
            low,
            high,
            plot_h,
        }
    }

    /// Whether the axis can place `value` (a log axis has no 0).
    fn shows(&self, value: f64) -> bool {
        self.scale != YScale::Log || value > 0.0
    }

    fn map(&self, value: f64) -> f64 {
        let fraction = match self.scale {
            YScale::Log => {
                (value.max(self.low).log10() - self.low.log10())
                    / (self.high.log10() - self.low.log10())
            }
            YScale::FromZero | YScale::Zoomed => (value - self.low) / (self.high - self.low),
        };
        TOP + self.plot_h - fraction * self.plot_h
    }

    fn ticks(&self) -> Vec<(f64, f64)> {
        let values = match self.scale {
            YScale::Log => log_ticks(self.low, self.high),
            YScale::FromZero | YScale::Zoomed => ticks(self.low, self.high),
        };
        values.into_iter().map(|t| (t, self.map(t))).collect()
    }
}

/// A grouped bar chart: one group per category, one bar per series in each.
pub struct BarChart<'a> {
    pub title: &'a str,
    pub y_label: &'a str,
    pub categories: Vec<String>,
    /// (series name, value per category; `None` draws no bar).
    pub series: Vec<(String, Vec<Option<f64>>)>,
}

impl BarChart<'_> {
    /// The chart as an `<svg>` element; a note instead when there is nothing to draw.
    pub fn render(&self) -> String {
        let values: Vec<f64> = self
            .series
            .iter()
            .flat_map(|(_, v)| v.iter().flatten().copied())
            .filter(|v| v.is_finite())
            .collect();
        if values.is_empty() || self.categories.is_empty() {
            return format!(
                "<p class=\"empty\">{}: no data in this run.</p>",
                escape(self.title)
            );
        }
        let y_top = values.iter().copied().fold(0.0, f64::max).max(1e-9) * 1.1;
        let (plot_w, plot_h) = (WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);
        let mut out = String::new();
        frame(&mut out, self.title);
        let y_ticks: Vec<(f64, f64)> = ticks(0.0, y_top)
            .into_iter()
            .map(|t| (t, TOP + plot_h - t / y_top * plot_h))
            .collect();
        axes(&mut out, (0.0, 0.0), &y_ticks, "", self.y_label);
        let group_w = plot_w / self.categories.len() as f64;
        let bar_w = (group_w * 0.8) / self.series.len().max(1) as f64;
        for (c, category) in self.categories.iter().enumerate() {
            let group_x = LEFT + c as f64 * group_w;
            let _ = write!(
                out,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                group_x + group_w / 2.0,
                TOP + plot_h + 16.0,
                escape(category)
            );
            for (s, (_, values)) in self.series.iter().enumerate() {
                let Some(value) = values.get(c).copied().flatten() else {
                    continue;
                };
                let height = value / y_top * plot_h;
                let x = group_x + group_w * 0.1 + s as f64 * bar_w;
                let _ = write!(
                    out,
                    r#"<rect x="{x:.1}" y="{:.1}" width="{:.1}" height="{height:.1}" fill="{}"><title>{}</title></rect><text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="9">{}</text>"#,
                    TOP + plot_h - height,
                    (bar_w - 2.0).max(1.0),
                    PALETTE[s % PALETTE.len()],
                    escape(&format!("{}: {}", self.series[s].0, label(value))),
                    x + bar_w / 2.0,
                    TOP + plot_h - height - 3.0,
                    label(value)
                );
            }
        }
        let entries: Vec<(&str, &str)> = self
            .series
            .iter()
            .enumerate()
            .map(|(i, (name, _))| (name.as_str(), PALETTE[i % PALETTE.len()]))
            .collect();
        legend(&mut out, &entries);
        out.push_str("</svg>");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        assert_eq!(ticks(0.0, 100.0), [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
        let unit: Vec<String> = ticks(0.0, 1.0).iter().map(|t| format!("{t:.1}")).collect();
        assert_eq!(unit, ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]);
    }

    #[test]
    fn lines_break_at_gaps_and_empty_charts_say_so() {
        let chart = LineChart {
            title: "t <x>",
            x_label: "s",
            y_label: "ms",
            x_domain: Some((0.0, 10.0)),
            series: vec![Series {
                name: "p99".to_owned(),
                color: PALETTE[0],
                points: vec![(0.0, 1.0), (1.0, 2.0), (5.0, 3.0), (6.0, 1.0)],
                dashed: false,
                markers: false,
            }],
            bands: &[],
            break_gap: 1.5,
            y_scale: YScale::FromZero,
            rules: Vec::new(),
        };
        let svg = chart.render();
        assert!(svg.contains("t &lt;x&gt;"));
        let path = svg.split("<path d=\"").nth(1).unwrap();
        let path = path.split('"').next().unwrap();
        assert_eq!(path.matches('M').count(), 2, "{path}");
        assert_eq!(path.matches('L').count(), 2, "{path}");
        let empty = LineChart {
            series: vec![],
            ..chart
        };
        assert!(empty.render().contains("no data"));
    }
}
