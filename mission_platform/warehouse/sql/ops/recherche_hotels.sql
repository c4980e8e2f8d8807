-- Recherche hôtels for operations: the directory with real names, addresses and contact notes.
SELECT r.hotel_id,
       ph.hotel_nom,
       ph.hotel_adresse,
       r.zipcode,
       r.hotel_ville,
       r.hotel_logiciel,
       r.nbre_chambre,
       r.tarif_horaire,
       r.maj_procedure,
       r.status,
       r.last_contact,
       r.date_de_creation,
       ph.notes AS hotel_notes
FROM reporting.recherche_hotels r
LEFT JOIN private.hotel ph ON ph.hotel_id = r.hotel_id
