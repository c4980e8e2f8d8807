-- Recherche extras for operations: the directory with real names, phones and e-mails.
SELECT r.extra_id,
       pe.nom AS extra_nom,
       r.logiciel,
       r.statuts,
       r.disponibilites,
       r.vacance_debut,
       r.vacance_fin,
       r.nbre_mission,
       r.date_de_creation,
       pe.telephone AS extra_telephone,
       pe.email AS extra_email
FROM reporting.recherche_extras r
LEFT JOIN private.extra pe ON pe.extra_id = r.extra_id
