"""What every page shares: the reader and the data's date, key-figure tiles, French tables and charts, the footer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import altair as alt
import pandas as pd
import streamlit as st

from mission_platform.dashboard import formatting as fr
from mission_platform.dashboard.connection import DashboardError, Freshness, Reader

# How a table column is shown: (French label, kind); kinds are the keys of FORMATS.
FORMATS: dict[str, Callable] = {
    "text": lambda v: fr.MISSING if v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)) else str(v),
    "int": fr.number,
    "num1": lambda v: fr.number(v, 1),
    "euros": fr.euros,
    "euros2": lambda v: fr.euros(v, 2),
    "pct": fr.percent,
    "date": fr.date,
    "datetime": fr.date_time,
    "bool": lambda v: fr.MISSING if v is None or v is pd.NA else ("oui" if v else "non"),
}
# One colour per business quantity, the same on every page.
COLORS = {"Chiffre d'affaires": "#1f77b4", "Chiffre d'affaires HT": "#1f77b4", "Bénéfice brut": "#2ca02c",
          "Bénéfice": "#2ca02c", "Salaires des extras": "#ff7f0e", "Missions": "#1f77b4", "Faites": "#1f77b4",
          "Annulées": "#d62728", "Clients": "#2ca02c", "client": "#2ca02c", "Prospects": "#9ecae1",
          "prospect": "#9ecae1", "Perdus": "#d62728", "perdu": "#d62728", "Premières missions": "#1f77b4"}
EURO_AXIS = alt.Axis(labelExpr=fr.EUROS_AXIS, title=None)
COUNT_AXIS = alt.Axis(labelExpr=fr.NUMBER_AXIS, title=None)
# Sums and counts per month or week are a few hundred rows at most; tables of rows are capped here.
TABLE_ROWS = 500


@dataclass(frozen=True)
class Context:
    reader: Reader
    freshness: Freshness

    @property
    def today(self):
        """The published export's date: what "now" means on every page (as in the reporting views)."""
        return pd.Timestamp(self.freshness.date_export).date()

    def frame(self, template: str, params: dict | None = None) -> pd.DataFrame:
        return self.reader.frame(template, params, freshness=self.freshness)

    @property
    def contacts(self) -> bool:
        """Whether the audience reads real names and contact details (operations), or pseudonyms."""
        return self.reader.audience.contacts


def context() -> Context:
    reader = Reader.from_env()
    return Context(reader, reader.freshness())


def header(title: str, what: str) -> None:
    st.title(title)
    st.caption(what)


def tiles(items: Sequence[tuple[str, str, str | None]]) -> None:
    """Key figures as text: (label, formatted value, help)."""
    for column, (label, value, help_text) in zip(st.columns(len(items)), items):
        column.metric(label, value, help=help_text, border=True)


def colors(names) -> alt.Scale:
    names = list(names)
    return alt.Scale(domain=names, range=[COLORS.get(n, "#7f7f7f") for n in names])


def table(frame: pd.DataFrame, spec: dict[str, tuple[str, str]], *, height: int | str = "auto", key: str | None = None) -> None:
    """``frame``'s columns in ``spec`` under their French labels, values in French formats (numbers sort as numbers)."""
    shown = frame[list(spec)].rename(columns={c: label for c, (label, _) in spec.items()})
    # Texts and yes/no are written out (the grid would draw "None" and check boxes); numbers and dates keep
    # their type under a French display format, so that sorting by a column stays right.
    for label, kind in spec.values():
        if kind in {"text", "bool"}:
            shown[label] = shown[label].map(FORMATS[kind])
    styler = shown.style.format({label: FORMATS[kind] for label, kind in spec.values() if kind not in {"text", "bool"}})
    st.dataframe(styler, hide_index=True, height=height, key=key, placeholder=fr.MISSING)


def capped(total: int, shown: int) -> None:
    if total > shown:
        st.caption(f"{fr.number(shown)} premières lignes sur {fr.number(total)} : affinez les filtres pour voir les autres.")


def found_with_counts(found: pd.DataFrame, spec: dict[str, tuple[str, str]], counts: pd.Series, *, title: str,
                      category: str, unit: str) -> None:
    """A search page's result: the rows ``found`` (a table, capped) beside a bar chart of ``counts`` per category."""
    per = counts.rename_axis("categorie").reset_index(name="nombre")
    chart_col, table_col = st.columns([1, 3])
    with chart_col:
        st.markdown(f"**{title}**")
        chart(alt.Chart(per).mark_bar().encode(
            y=alt.Y("categorie:N", sort="-x", axis=name_axis()), x=alt.X("nombre:Q", axis=COUNT_AXIS),
            tooltip=[alt.Tooltip("categorie:N", title=category), alt.Tooltip("nombre:Q", title=unit)],
        ).properties(height=max(150, 28 * len(per))))
    with table_col:
        shown = found.head(TABLE_ROWS)
        table(shown, spec)
        capped(len(found), len(shown))


def monthly_bars(frame: pd.DataFrame, measures: dict[str, str], *, euros: bool = True, stacked: bool = False,
                 period: str = "mois", label: Callable[[pd.Series], pd.Series] = fr.month_labels) -> alt.Chart:
    """Bars per period (month by default) of the ``measures`` (column -> French name), side by side or stacked."""
    long = frame.melt(id_vars=[period], value_vars=list(measures), var_name="mesure", value_name="valeur")
    long["mesure"] = long["mesure"].map(measures)
    long["periode"] = label(long[period])
    long = long.drop(columns=[period])  # dates do not travel to the chart as JSON; the label does
    long["valeur_texte"] = [fr.euros(v) if euros else fr.number(v) for v in long["valeur"]]
    order = list(dict.fromkeys(label(frame.sort_values(period)[period])))
    x = alt.X("periode:N", sort=order, title=None, axis=alt.Axis(labelAngle=-45, labelOverlap=False))
    chart = alt.Chart(long).mark_bar().encode(
        x=x,
        y=alt.Y("valeur:Q", axis=EURO_AXIS if euros else COUNT_AXIS, stack="zero" if stacked else None),
        color=alt.Color("mesure:N", title=None, scale=colors(measures.values()), legend=alt.Legend(orient="top")),
        tooltip=[alt.Tooltip("periode:N", title="Période"), alt.Tooltip("mesure:N", title="Mesure"),
                 alt.Tooltip("valeur_texte:N", title="Valeur")],
    )
    if not stacked:
        chart = chart.encode(xOffset=alt.XOffset("mesure:N", sort=list(measures.values())))
    return chart.properties(height=320)


def name_axis() -> alt.Axis:
    """A band axis of names: every name shown, long ones cut."""
    return alt.Axis(labelOverlap=False, labelLimit=220, title=None)


def chart(spec: alt.TopLevelMixin) -> None:
    st.altair_chart(spec, width="stretch")


def footer() -> None:
    """The data's freshness, at the foot of every page (the original's "Dernière mise à jour des données")."""
    st.divider()
    try:
        freshness = Reader.from_env().freshness()
    except DashboardError:
        st.caption("Dernière mise à jour des données : inconnue (l'entrepôt ne répond pas).")
        return
    st.caption(
        f"Dernière mise à jour des données : {fr.date_time(freshness.derniere_mise_a_jour)} "
        f"(heure de Paris) · export du {fr.date(freshness.date_export)} ({freshness.export_id})"
    )


def show_error(exc: DashboardError) -> None:
    st.error(str(exc), icon=":material/error:")
