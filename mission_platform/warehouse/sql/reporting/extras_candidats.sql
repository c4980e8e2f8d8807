-- Missions à affecter, second part: for each mission to assign, the extras who could take it, best first, at
-- most {candidats_par_mission} per mission (the setting MISSION_CANDIDATES_PER_MISSION). An extra qualifies when they:
-- - master the hotel's software (hotel_logiciel references core.logiciel.logiciel_name; when the
--   hotel's software is unknown, any extra does);
-- - are not on holiday on the mission's day(s) (holiday dates inclusive; a holiday with no end is one day);
-- - have no non-cancelled mission overlapping it (one may end when the other starts);
-- - are not `inactif`.
-- Ranking (`rang`, 1 = best): missions done for that hotel (`missions_hotel`), then missions done in total
-- (`missions_total`, as in classement_extras), then extra_id. The rows are those of the unbounded ranking with
-- rang <= the bound.
-- The first and last rules are the pool of the mission's hotel (candidats_vivier, already in ranking order,
-- see extras_candidats.prepare.sql); each mission walks its hotel's pool in that order, skips the extras on
-- holiday or booked then (candidats_reservations), and stops at the bound.
SELECT a.mission_id,
       row_number() OVER (PARTITION BY a.mission_id ORDER BY v.ordre) AS rang,
       e.extra_id,
       e.nom AS extra_nom,
       e.statuts,
       e.disponibilites,
       v.missions_hotel,
       v.missions_total,
       a.date_debut,
       a.date_fin,
       a.hotel_id,
       a.hotel_nom,
       a.hotel_logiciel
FROM missions_a_affecter a
CROSS JOIN LATERAL (
    SELECT v.extra_id, v.ordre, v.missions_hotel, v.missions_total
    FROM candidats_vivier v
    WHERE v.hotel_id = a.hotel_id
      AND NOT (v.vacance_debut IS NOT NULL
               AND a.date_debut::date <= v.vacance_fin
               AND a.date_fin::date >= v.vacance_debut)
      -- Not booked then: one probe of the (extra_id, date_debut) index per candidate looked at. OFFSET 0 keeps
      -- it a probe: without it the planner turns NOT EXISTS into an anti-join that reads every booking of the
      -- window for each mission (20x slower at 1M missions).
      AND NOT EXISTS (SELECT 1
                      FROM candidats_reservations r
                      WHERE r.extra_id = v.extra_id
                        AND r.date_debut < a.date_fin
                        AND r.date_debut > a.date_debut - interval '2 days'
                        AND r.date_fin > a.date_debut
                      OFFSET 0)
    ORDER BY v.ordre
    LIMIT {candidats_par_mission}
) v
JOIN core.extra e ON e.extra_id = v.extra_id
