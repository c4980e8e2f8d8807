-- Classement extras: per extra, missions done, hours, revenue generated, cancellations by the extra (any date).
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
LEFT JOIN missions_detail d ON d.extra_id = e.extra_id
GROUP BY e.extra_id
