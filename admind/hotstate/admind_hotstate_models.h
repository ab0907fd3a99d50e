/*
 * QuotaLane admind: an account's model list and model map as the account
 * record carries them (proto/redis_layout.md).
 *
 * The list "\nm1\nm2\n" and the map "\nfrom\tto\nfrom2\tto2\n" let a Lua
 * script or the module find a name with one substring search of
 * "\n<model>\n" or "\n<model>\t"; "" means none (all models, no
 * mapping).  Names never hold "\n" or "\t" (admind_accounts.c refuses
 * them), and a column that does anyway is not published.
 */

#ifndef _ADMIND_HOTSTATE_MODELS_H_INCLUDED_
#define _ADMIND_HOTSTATE_MODELS_H_INCLUDED_


/*
 * The strings of a JSON array text joined by sep ("a,b"); wrapped, sep
 * also before and after ("\na\nb\n", "" for none) and each must be a
 * name without "\n" or "\t".  malloc()ed, NULL when out of memory or
 * malformed.
 */
char *admind_hotstate_join(const char *json, char sep, int wrapped);

/*
 * From the JSON text of the supported_models column (an array of
 * strings; NULL for SQL NULL): malloc()ed, NULL when out of memory or
 * malformed.
 */
char *admind_hotstate_model_list(const char *json);

/* the same from the model_mapping column (an object of strings) */
char *admind_hotstate_model_map(const char *json);


#endif /* _ADMIND_HOTSTATE_MODELS_H_INCLUDED_ */
