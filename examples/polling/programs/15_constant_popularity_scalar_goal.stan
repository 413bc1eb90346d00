// Support is essentially constant over a short campaign: one level, polls with house effects and
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
  real popularity;
  vector[num_pollsters] house;
  vector<lower=0>[num_pollsters] poll_sd;
}
model {
  popularity ~ normal(50, 10);
  house ~ normal(0, 3);
  poll_sd ~ normal(0, 5) T[0, ];
  result ~ normal(popularity + house[pollster], poll_sd[pollster]);
}
