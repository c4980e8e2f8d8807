-- Prédictions: completed weeks' actual counts next to the latest forecast (the production model, 'npts_pickup'
-- = the forecast stage's PRODUCTION_MODEL; 'npts' for an export without creation dates), with what is already
-- booked and the extras still to find; and for each completed week, the median forecasts made for it 1 to 4
-- weeks ahead (p50_h1 = made in the week itself) and their error against what happened.
WITH production AS (
    SELECT *
    FROM core.mission_forecast
    WHERE model IN ('npts_pickup', 'npts')
),
derniere_prevision AS (
    SELECT DISTINCT ON (week_start) *
    FROM production
    WHERE as_of_week = (SELECT max(as_of_week) FROM production)
    ORDER BY week_start, (model = 'npts_pickup') DESC
),
realise AS (
    SELECT week_start, missions FROM core.weekly_missions WHERE missions IS NOT NULL
),
passees AS (
    SELECT week_start,
           min(p50) FILTER (WHERE horizon = 1) AS p50_h1,
           min(p50) FILTER (WHERE horizon = 2) AS p50_h2,
           min(p50) FILTER (WHERE horizon = 3) AS p50_h3,
           min(p50) FILTER (WHERE horizon = 4) AS p50_h4
    FROM (
        SELECT DISTINCT ON (week_start, as_of_week) week_start, (week_start - as_of_week) / 7 + 1 AS horizon, p50
        FROM production
        ORDER BY week_start, as_of_week, (model = 'npts_pickup') DESC
    ) f
    GROUP BY week_start
)
SELECT coalesce(p.week_start, r.week_start) AS week_start,
       r.missions AS actual,
       p.mean,
       p.p10,
       p.p50,
       p.p90,
       p.already_booked,
       p.extras_needed_p50,
       p.extras_needed_p90,
       p.model,
       p.as_of_week,
       p.extras_to_find_p50,
       p.extras_to_find_p90,
       h.p50_h1,
       h.p50_h2,
       h.p50_h3,
       h.p50_h4,
       abs(h.p50_h1 - r.missions) / NULLIF(r.missions, 0) AS erreur_h1,
       abs(h.p50_h2 - r.missions) / NULLIF(r.missions, 0) AS erreur_h2,
       abs(h.p50_h3 - r.missions) / NULLIF(r.missions, 0) AS erreur_h3,
       abs(h.p50_h4 - r.missions) / NULLIF(r.missions, 0) AS erreur_h4
FROM realise r
FULL JOIN derniere_prevision p ON p.week_start = r.week_start
LEFT JOIN passees h ON h.week_start = coalesce(p.week_start, r.week_start)
