-- Dépenses et gains: realised money per month (past missions).
SELECT date_trunc('month', date_debut)::date AS mois,
       extract(year FROM date_trunc('month', date_debut))::int AS annee,
       count(*) FILTER (WHERE annulation IS NULL) AS nb_missions,
       sum(duree_mission + heures_supp) FILTER (WHERE annulation IS NULL) AS heures,
       sum(total_ht) AS chiffre_affaires,
       sum(total_ttc) AS chiffre_affaires_ttc,
       sum(extra_salaire) AS salaires_extras,
       sum(benefice) AS benefice
FROM missions_passees
GROUP BY date_trunc('month', date_debut)
