// Popularity is constant over the campaign; polls differ by a pollster house effect and
// pollster-specific noise.
data {
  int num_days; // days of the campaign
  int num_pollsters; // number of pollsters
  int num_polls; // number of polls
  array[num_polls] int<lower=1, upper=num_pollsters> pollster; // who ran each poll
  array[num_polls] int<lower=1, upper=num_days> day; // day of each poll
  array[num_polls] real result; // percentage supporting the candidate
}
parameters {
  real level;
  vector[num_pollsters] house;
  vector<lower=0>[num_pollsters] poll_sd;
}
model {
  level ~ normal(50, 15);
  house ~ normal(0, 3);
  poll_sd ~ exponential(0.3);
  result ~ normal(level + house[pollster], poll_sd[pollster]);
}
generated quantities {
  array[num_days] real popularity = rep_array(level, num_days);
}
