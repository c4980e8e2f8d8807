-- Localisation hôtels for operations: reporting.localisation_hotels with real names, then the street address.
SELECT r.hotel_id,
       ph.hotel_nom,
       r.zipcode,
       r.hotel_ville,
       r.pays,
       r.nb_missions,
       r.chiffre_affaires,
       ph.hotel_adresse
FROM reporting.localisation_hotels r
LEFT JOIN private.hotel ph ON ph.hotel_id = r.hotel_id
