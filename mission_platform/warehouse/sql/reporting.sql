-- The reporting schema: one relation per Looker Studio page (see docs/WAREHOUSE.md).
--
-- Run by reporting.create_reporting_views() after it has dropped every relation
-- listed in REPORTING_RELATIONS, inside the publishing transaction: a view is
-- bound to the table it was created on, so each publish that swaps core tables
-- recreates the views on the new ones. Every relation is created in
-- dependency order; names are ASCII lower-case snake_case for Looker Studio.
--
-- "Now" is the date of the published export (the latest core.load_history
-- row, by load_id), not the wall clock, so a view shows the same thing for the same export.
-- A mission is past when it starts before that date, upcoming otherwise.
-- No relation exposes what anonymisation removed or may leave personal
-- (phone, e-mail, hotel notes, the overtime free text of missions).

-- Footer "Dernière mise à jour des données": the published export and when it was published (Paris time).
CREATE VIEW reporting.fraicheur_donnees AS
SELECT export_id,
       export_date AS date_export,
       (published_at AT TIME ZONE 'Europe/Paris') AS derniere_mise_a_jour
FROM core.load_history
ORDER BY load_id DESC
LIMIT 1;

-- Every mission with its hotel, extra and amounts; `passee` is the single definition of "past".
CREATE VIEW reporting.missions_detail AS
SELECT m.mission_id,
       m.date_debut,
       m.date_fin,
       m.duree_mission,
       m.heures_supp,
       m.hotel_id,
       h.hotel_nom,
       h.hotel_ville,
       h.zipcode,
       h.hotel_logiciel,
       m.extra_id,
       e.nom AS extra_nom,
       m.urgent,
       m.annulation,
       m.tarif_horaire,
       m.tarif_urgence,
       m.total_ht,
       m.total_ttc,
       m.extra_salaire,
       m.benefice,
       m.facture,
       m.reglement,
       m.date_debut < f.date_export AS passee
FROM core.missions m
LEFT JOIN core.hotel h ON h.hotel_id = m.hotel_id
LEFT JOIN core.extra e ON e.extra_id = m.extra_id
CROSS JOIN reporting.fraicheur_donnees f;

-- Missions passées: every mission started before the export date, cancelled ones included (their amounts are 0).
CREATE VIEW reporting.missions_passees AS
SELECT * FROM reporting.missions_detail WHERE passee;

-- Missions à venir: booked (not cancelled) missions from the export date on, assigned or not.
CREATE VIEW reporting.missions_a_venir AS
SELECT * FROM reporting.missions_detail WHERE NOT passee AND annulation IS NULL;

-- Missions à affecter: upcoming missions with no extra yet.
CREATE VIEW reporting.missions_a_affecter AS
SELECT * FROM reporting.missions_a_venir WHERE extra_id IS NULL;

-- Dépenses et gains: realised money per month (past missions).
CREATE VIEW reporting.depenses_gains AS
SELECT date_trunc('month', date_debut)::date AS mois,
       extract(year FROM date_trunc('month', date_debut))::int AS annee,
       count(*) FILTER (WHERE annulation IS NULL) AS nb_missions,
       sum(duree_mission + heures_supp) FILTER (WHERE annulation IS NULL) AS heures,
       sum(total_ht) AS chiffre_affaires,
       sum(total_ttc) AS chiffre_affaires_ttc,
       sum(extra_salaire) AS salaires_extras,
       sum(benefice) AS benefice
FROM reporting.missions_passees
GROUP BY date_trunc('month', date_debut);

-- Vue d'ensemble: per month, turnover, gross margin, missions done and margin rate.
CREATE VIEW reporting.vue_ensemble AS
SELECT mois,
       annee,
       chiffre_affaires,
       benefice AS benefice_brut,
       nb_missions AS nb_missions_passees,
       benefice / NULLIF(chiffre_affaires, 0) AS rentabilite_brute
FROM reporting.depenses_gains;

-- Classement extras: per extra, missions done, hours, revenue generated, cancellations by the extra (any date).
CREATE VIEW reporting.classement_extras AS
SELECT e.extra_id,
       e.nom AS extra_nom,
       e.statuts,
       count(d.mission_id) FILTER (WHERE d.passee AND d.annulation IS NULL) AS nb_missions,
       coalesce(sum(d.duree_mission) FILTER (WHERE d.passee AND d.annulation IS NULL), 0) AS heures,
       coalesce(sum(d.heures_supp) FILTER (WHERE d.passee AND d.annulation IS NULL), 0) AS heures_supp,
       coalesce(sum(d.total_ht) FILTER (WHERE d.passee), 0) AS chiffre_affaires,
       coalesce(sum(d.benefice) FILTER (WHERE d.passee), 0) AS benefice,
       count(d.mission_id) FILTER (WHERE d.annulation = 'extra') AS annulations_extra
FROM core.extra e
LEFT JOIN reporting.missions_detail d ON d.extra_id = e.extra_id
GROUP BY e.extra_id;

-- Classement hôtels: per hotel, missions done, revenue, margin, cancellations by the hotel (any date).
CREATE VIEW reporting.classement_hotels AS
SELECT h.hotel_id,
       h.hotel_nom,
       h.hotel_ville,
       h.status,
       count(d.mission_id) FILTER (WHERE d.passee AND d.annulation IS NULL) AS nb_missions,
       coalesce(sum(d.total_ht) FILTER (WHERE d.passee), 0) AS chiffre_affaires,
       coalesce(sum(d.benefice) FILTER (WHERE d.passee), 0) AS benefice,
       sum(d.benefice) FILTER (WHERE d.passee) / NULLIF(sum(d.total_ht) FILTER (WHERE d.passee), 0) AS rentabilite,
       count(d.mission_id) FILTER (WHERE d.annulation = 'hotel') AS annulations_hotel
FROM core.hotel h
LEFT JOIN reporting.missions_detail d ON d.hotel_id = h.hotel_id
GROUP BY h.hotel_id;

-- Missions à affecter, second part: for each mission to assign, the extras who could take it, best first
-- (missions done for that hotel, then missions done in total). An extra qualifies when they:
-- - master the hotel's software (hotel_logiciel references core.logiciel.logiciel_name; when the
--   hotel's software is unknown, any extra does);
-- - are not on holiday on the mission's day(s) (holiday dates inclusive; a holiday with no end is one day);
-- - have no non-cancelled mission overlapping it (one may end when the other starts);
-- - are not `inactif`.
CREATE VIEW reporting.extras_candidats AS
WITH faites_hotel AS (
    SELECT extra_id, hotel_id, count(*) AS n
    FROM reporting.missions_passees
    WHERE annulation IS NULL AND extra_id IS NOT NULL
    GROUP BY extra_id, hotel_id
),
occupes AS (
    -- A mission lasts at most 24 h (core CHECK; 25 h of wall clock the night the clocks go back), so
    -- only missions starting less than two days before can overlap: that bound lets the date_debut
    -- index find them instead of scanning every mission of every extra.
    SELECT DISTINCT a.mission_id, b.extra_id
    FROM reporting.missions_a_affecter a
    JOIN core.missions b ON b.date_debut < a.date_fin
                        AND b.date_debut > a.date_debut - interval '2 days'
                        AND b.date_fin > a.date_debut
    WHERE b.annulation IS NULL AND b.extra_id IS NOT NULL
),
candidats AS (
    SELECT a.mission_id,
           a.date_debut,
           a.date_fin,
           a.hotel_id,
           a.hotel_nom,
           a.hotel_logiciel,
           e.extra_id,
           e.nom AS extra_nom,
           e.statuts,
           e.disponibilites,
           coalesce(fh.n, 0) AS missions_hotel,
           c.nb_missions AS missions_total
    FROM reporting.missions_a_affecter a
    CROSS JOIN core.extra e
    JOIN reporting.classement_extras c ON c.extra_id = e.extra_id
    LEFT JOIN faites_hotel fh ON fh.extra_id = e.extra_id AND fh.hotel_id = a.hotel_id
    LEFT JOIN occupes o ON o.mission_id = a.mission_id AND o.extra_id = e.extra_id
    WHERE o.extra_id IS NULL
      AND lower(btrim(e.statuts)) IS DISTINCT FROM 'inactif'
      AND (a.hotel_logiciel IS NULL
           OR EXISTS (SELECT 1
                      FROM core.logiciel_extra le
                      JOIN core.logiciel l ON l.logiciel_id = le.logiciel_id
                      WHERE le.extra_id = e.extra_id AND l.logiciel_name = a.hotel_logiciel))
      AND NOT (e.vacance_debut IS NOT NULL
               AND a.date_debut::date <= coalesce(e.vacance_fin, e.vacance_debut)::date
               AND a.date_fin::date >= e.vacance_debut::date)
)
SELECT mission_id,
       row_number() OVER (PARTITION BY mission_id
                          ORDER BY missions_hotel DESC, missions_total DESC, extra_id) AS rang,
       extra_id,
       extra_nom,
       statuts,
       disponibilites,
       missions_hotel,
       missions_total,
       date_debut,
       date_fin,
       hotel_id,
       hotel_nom,
       hotel_logiciel
FROM candidats;

-- Recherche extras: the extras directory (no phone or e-mail: anonymisation removed them).
CREATE VIEW reporting.recherche_extras AS
SELECT extra_id,
       nom AS extra_nom,
       logiciel,
       statuts,
       disponibilites,
       vacance_debut,
       vacance_fin,
       nbre_mission,
       date_de_creation
FROM core.extra;

-- Recherche hôtels: the hotel directory (no notes).
CREATE VIEW reporting.recherche_hotels AS
SELECT hotel_id,
       hotel_nom,
       hotel_adresse,
       zipcode,
       hotel_ville,
       hotel_logiciel,
       nbre_chambre,
       tarif_horaire,
       maj_procedure,
       status,
       last_contact,
       date_de_creation
FROM core.hotel;

-- Localisation hôtels: Looker Studio geocodes the postal code with the country.
CREATE VIEW reporting.localisation_hotels AS
SELECT h.hotel_id,
       h.hotel_nom,
       h.zipcode,
       h.hotel_ville,
       'FR'::text AS pays,
       c.nb_missions,
       c.chiffre_affaires
FROM core.hotel h
JOIN reporting.classement_hotels c ON c.hotel_id = h.hotel_id;

-- Acquisition client: per month, hotels created (by their current status) and hotels' first missions done.
CREATE VIEW reporting.acquisition_client AS
WITH premieres AS (
    SELECT hotel_id, min(date_debut) AS premiere_mission
    FROM reporting.missions_passees
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
GROUP BY mois;

-- Prédictions: completed weeks' actual counts next to the latest forecast (the production model, 'npts_pickup'
-- = the forecast stage's PRODUCTION_MODEL; 'npts' for an export without creation dates), with what is already
-- booked and the extras still to find; and for each completed week, the median forecasts made for it 1 to 4
-- weeks ahead (p50_h1 = made in the week itself) and their error against what happened.
CREATE VIEW reporting.predictions AS
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
LEFT JOIN passees h ON h.week_start = coalesce(p.week_start, r.week_start);
