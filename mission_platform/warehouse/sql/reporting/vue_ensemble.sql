-- Vue d'ensemble: per month, turnover, gross margin, missions done and margin rate.
SELECT mois,
       annee,
       chiffre_affaires,
       benefice AS benefice_brut,
       nb_missions AS nb_missions_passees,
       benefice / NULLIF(chiffre_affaires, 0) AS rentabilite_brute
FROM depenses_gains
