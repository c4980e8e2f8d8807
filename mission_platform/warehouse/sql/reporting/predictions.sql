-- Prédictions: completed weeks' actual counts next to the latest production (NPTS) forecast.
-- The model name is the forecast stage's PRODUCTION_MODEL.
WITH derniere_prevision AS (
    SELECT *
    FROM core.mission_forecast
    WHERE model = 'npts'
      AND as_of_week = (SELECT max(as_of_week) FROM core.mission_forecast WHERE model = 'npts')
),
realise AS (
    SELECT week_start, missions FROM core.weekly_missions WHERE missions IS NOT NULL
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
       p.as_of_week
FROM realise r
FULL JOIN derniere_prevision p ON p.week_start = r.week_start
