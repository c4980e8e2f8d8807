-- Classement extras for operations: reporting.classement_extras with real names, then phone and e-mail.
SELECT r.extra_id,
       pe.nom AS extra_nom,
       r.statuts,
       r.nb_missions,
       r.heures,
       r.heures_supp,
       r.chiffre_affaires,
       r.benefice,
       r.annulations_extra,
       pe.telephone AS extra_telephone,
       pe.email AS extra_email
FROM reporting.classement_extras r
LEFT JOIN private.extra pe ON pe.extra_id = r.extra_id
