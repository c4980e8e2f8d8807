-- Recherche hôtels: the hotel directory (no notes).
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
FROM core.hotel
