// Constant popularity; house effects drawn from normal(0, house_sd) with a learned spread (centred),
// and pollster-specific noise.
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
  real<lower=0> house_sd;
  vector[num_pollsters] house;
  vector<lower=0>[num_pollsters] poll_sd;
}
model {
  level ~ normal(50, 10);
  house_sd ~ normal(0, 2) T[0, ];
  house ~ normal(0, house_sd);
  poll_sd ~ normal(0, 5) T[0, ];
  result ~ normal(level + house[pollster], poll_sd[pollster]);
}
generated quantities {
  array[num_days] real popularity = rep_array(level, num_days);
}
