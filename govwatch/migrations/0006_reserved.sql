-- Migration 6: reserved for a change made on another line of work; this file only keeps
-- the numbering without gaps until that migration takes its place (it changes nothing).
SELECT 1;
