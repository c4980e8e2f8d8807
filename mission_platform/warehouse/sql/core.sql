-- The `core` relational model (WAREHOUSE.md). Names are unqualified on purpose:
-- schema.py runs this file with search_path set to a scratch schema, either to
-- build the reference definitions that `core` is created or evolved from, or to
-- build the staging tables a publish loads and then moves into `core`. So this
-- file is the single definition of every table, column and constraint.
-- Money is numeric(12,2); hours numeric(7,4) so that hours x rate reproduces the
-- stored amounts to the cent. Timestamps are Europe/Paris local time. Ids are
-- codes, compared byte by byte (COLLATE "C"): their keys and indexes build several
-- times faster than under a linguistic collation, which they have no use for.

-- == published: the logical data model, rebuilt from here by every publish ==

CREATE TABLE logiciel (
    logiciel_id   text COLLATE "C" NOT NULL CHECK (logiciel_id <> ''),
    logiciel_name text NOT NULL CHECK (logiciel_name <> ''),
    export_id     text NOT NULL,
    loaded_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT logiciel_pkey PRIMARY KEY (logiciel_id),
    CONSTRAINT logiciel_logiciel_name_key UNIQUE (logiciel_name)
);

CREATE TABLE hotel (
    hotel_id         text COLLATE "C" NOT NULL CHECK (hotel_id <> ''),
    hotel_nom        text,
    hotel_adresse    text,
    zipcode          text CHECK (zipcode ~ '^[0-9]{5}$'),
    hotel_ville      text,
    hotel_logiciel   text,
    nbre_chambre     integer CHECK (nbre_chambre >= 0),
    tarif_horaire    numeric(12,2) CHECK (tarif_horaire >= 0),
    maj_procedure    text,
    status           text,
    last_contact     date,
    notes            text,
    date_de_creation timestamp without time zone,
    export_id        text NOT NULL,
    loaded_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT hotel_pkey PRIMARY KEY (hotel_id),
    CONSTRAINT hotel_hotel_logiciel_fkey FOREIGN KEY (hotel_logiciel) REFERENCES logiciel (logiciel_name)
);

CREATE TABLE extra (
    extra_id         text COLLATE "C" NOT NULL CHECK (extra_id <> ''),
    nom              text,
    logiciel         text,
    statuts          text,
    vacance_debut    timestamp without time zone,
    vacance_fin      timestamp without time zone,
    disponibilites   text,
    date_de_creation timestamp without time zone,
    nbre_mission     integer CHECK (nbre_mission >= 0),
    export_id        text NOT NULL,
    loaded_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT extra_pkey PRIMARY KEY (extra_id),
    CONSTRAINT extra_vacances_check CHECK (vacance_fin >= vacance_debut)
);

CREATE TABLE missions (
    mission_id    text COLLATE "C" NOT NULL CHECK (mission_id <> ''),
    hotel_id      text COLLATE "C" NOT NULL,
    extra_id      text COLLATE "C",
    tarif_horaire numeric(12,2) CHECK (tarif_horaire >= 0),
    tarif_urgence numeric(12,2) CHECK (tarif_urgence >= 0),
    facture       text,
    reglement     text,
    texte         text,
    date_debut    timestamp without time zone NOT NULL,
    date_fin      timestamp without time zone NOT NULL,
    duree_mission numeric(7,4) NOT NULL CHECK (duree_mission >= 0 AND duree_mission <= 24),
    urgent        boolean NOT NULL,
    annulation    text CHECK (annulation IN ('extra', 'hotel')),
    heures_supp   numeric(7,4) NOT NULL CHECK (heures_supp >= 0),
    total_ht      numeric(12,2) CHECK (total_ht >= 0),
    total_ttc     numeric(12,2) CHECK (total_ttc >= 0),
    extra_salaire numeric(12,2) CHECK (extra_salaire >= 0),
    benefice      numeric(12,2),
    export_id     text NOT NULL,
    loaded_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT missions_pkey PRIMARY KEY (mission_id),
    CONSTRAINT missions_hotel_id_fkey FOREIGN KEY (hotel_id) REFERENCES hotel (hotel_id),
    CONSTRAINT missions_extra_id_fkey FOREIGN KEY (extra_id) REFERENCES extra (extra_id),
    -- A cancelled mission earns and costs nothing, overtime included.
    CONSTRAINT missions_annulation_amounts_check CHECK (
        annulation IS NULL OR (total_ht = 0 AND total_ttc = 0 AND extra_salaire = 0 AND benefice = 0)
    ),
    CONSTRAINT missions_benefice_check CHECK (benefice = total_ht - extra_salaire)
);
-- For the reporting views that look up missions by time (upcoming ones, an extra's
-- overlapping bookings); the per-hotel and per-extra pages aggregate every mission,
-- where a scan beats an index, so no index on hotel_id or extra_id: each one would
-- add seconds to every publish of a million missions.
CREATE INDEX missions_date_debut_idx ON missions (date_debut);

CREATE TABLE logiciel_extra (
    extra_id    text COLLATE "C" NOT NULL,
    logiciel_id text COLLATE "C" NOT NULL,
    export_id   text NOT NULL,
    loaded_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT logiciel_extra_pkey PRIMARY KEY (extra_id, logiciel_id),
    CONSTRAINT logiciel_extra_extra_id_fkey FOREIGN KEY (extra_id) REFERENCES extra (extra_id),
    CONSTRAINT logiciel_extra_logiciel_id_fkey FOREIGN KEY (logiciel_id) REFERENCES logiciel (logiciel_id)
);
CREATE INDEX logiciel_extra_logiciel_id_idx ON logiciel_extra (logiciel_id);

-- == kept: the pipeline's own tables, which live across publishes ==

-- Kept for every export; a rerun of an export replaces that export's rows.
CREATE TABLE rejected_rows (
    export_id  text NOT NULL,
    source     text NOT NULL CHECK (source IN ('missions', 'hotels', 'extras')),
    row_number integer NOT NULL CHECK (row_number >= 1),
    raw        jsonb NOT NULL,
    reason     text NOT NULL CHECK (reason <> ''),
    loaded_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT rejected_rows_pkey PRIMARY KEY (export_id, source, row_number)
);

CREATE TABLE weekly_missions (
    week_start     date NOT NULL CHECK (extract(isodow FROM week_start) = 1),
    missions       integer CHECK (missions >= 0),  -- NULL for weeks still to come
    already_booked integer CHECK (already_booked >= 0),
    export_id      text NOT NULL,
    loaded_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT weekly_missions_pkey PRIMARY KEY (week_start)
);

CREATE TABLE mission_forecast (
    as_of_week        date NOT NULL CHECK (extract(isodow FROM as_of_week) = 1),
    week_start        date NOT NULL CHECK (extract(isodow FROM week_start) = 1),
    model             text NOT NULL,
    mean              double precision CHECK (mean >= 0),
    p10               double precision CHECK (p10 >= 0),
    p50               double precision,
    p90               double precision,
    already_booked    integer CHECK (already_booked >= 0),
    extras_needed_p50 integer CHECK (extras_needed_p50 >= 0),
    extras_needed_p90 integer CHECK (extras_needed_p90 >= 0),
    export_id         text NOT NULL,
    loaded_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT mission_forecast_pkey PRIMARY KEY (as_of_week, week_start, model),
    CONSTRAINT mission_forecast_quantiles_check CHECK (p10 <= p50 AND p50 <= p90)
);

CREATE TABLE forecast_backtest (
    as_of_week  date NOT NULL CHECK (extract(isodow FROM as_of_week) = 1),
    model       text NOT NULL,
    origins     integer NOT NULL CHECK (origins >= 0),
    mape        double precision,
    smape       double precision,
    mase        double precision,
    wql         double precision,
    coverage_80 double precision CHECK (coverage_80 BETWEEN 0 AND 1),
    export_id   text NOT NULL,
    loaded_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT forecast_backtest_pkey PRIMARY KEY (as_of_week, model)
);

-- One row per publish of the core tables; the latest one is the published state.
CREATE TABLE load_history (
    load_id             bigint GENERATED ALWAYS AS IDENTITY,
    export_id           text NOT NULL,
    export_date         date NOT NULL,
    published_at        timestamptz NOT NULL,
    hotel_rows          integer NOT NULL,
    extra_rows          integer NOT NULL,
    missions_rows       integer NOT NULL,
    logiciel_rows       integer NOT NULL,
    logiciel_extra_rows integer NOT NULL,
    rejected_rows       integer NOT NULL,
    CONSTRAINT load_history_pkey PRIMARY KEY (load_id)
);
CREATE INDEX load_history_published_at_idx ON load_history (published_at);
