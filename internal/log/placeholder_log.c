/* placeholder: replaced by the module implementation */
typedef int fy_placeholder_log;
