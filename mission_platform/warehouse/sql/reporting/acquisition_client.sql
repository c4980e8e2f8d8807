-- Acquisition client: per month, hotels created (by their current status) and hotels' first missions done.
WITH premieres AS (
    SELECT hotel_id, min(date_debut) AS premiere_mission
    FROM missions_passees
    WHERE annulation IS NULL
    GROUP BY hotel_id
),
evenements AS (
    SELECT date_trunc('month', date_de_creation)::date AS mois,
           lower(btrim(status)) AS status,
           1 AS nouveau,
           0 AS premiere
    FROM core.hotel
    WHERE date_de_creation IS NOT NULL
    UNION ALL
    SELECT date_trunc('month', premiere_mission)::date, NULL, 0, 1
    FROM premieres
)
SELECT mois,
       extract(year FROM mois)::int AS annee,
       sum(nouveau) AS nouveaux_hotels,
       sum(premiere) AS premieres_missions,
       count(*) FILTER (WHERE status = 'client') AS nouveaux_clients,
       count(*) FILTER (WHERE status = 'prospect') AS nouveaux_prospects,
       count(*) FILTER (WHERE status = 'perdu') AS nouveaux_perdus
FROM evenements
GROUP BY mois
