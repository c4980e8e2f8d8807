-- Classement extras: per extra, missions done, hours, revenue generated, cancellations by the extra (any date).
-- The missions are summed per extra first, then joined: a join of every mission to its extra cost twice as much.
WITH par_extra AS (
    SELECT extra_id,
           count(*) FILTER (WHERE passee AND annulation IS NULL) AS nb_missions,
           sum(duree_mission) FILTER (WHERE passee AND annulation IS NULL) AS heures,
           sum(heures_supp) FILTER (WHERE passee AND annulation IS NULL) AS heures_supp,
           sum(total_ht) FILTER (WHERE passee) AS chiffre_affaires,
           sum(benefice) FILTER (WHERE passee) AS benefice,
           count(*) FILTER (WHERE annulation = 'extra') AS annulations_extra
    FROM missions_detail
    GROUP BY extra_id
)
SELECT e.extra_id,
       e.nom AS extra_nom,
       e.statuts,
       coalesce(d.nb_missions, 0) AS nb_missions,
       coalesce(d.heures, 0) AS heures,
       coalesce(d.heures_supp, 0) AS heures_supp,
       coalesce(d.chiffre_affaires, 0) AS chiffre_affaires,
       coalesce(d.benefice, 0) AS benefice,
       coalesce(d.annulations_extra, 0) AS annulations_extra
FROM core.extra e
LEFT JOIN par_extra d ON d.extra_id = e.extra_id
